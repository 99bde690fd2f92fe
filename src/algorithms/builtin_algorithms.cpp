#include "cairn/algorithms/builtin_algorithms.h"

#include "cairn/algorithms/dqn.h"
#include "cairn/algorithms/ppo.h"

namespace cairn {

std::vector<AlgorithmInfo> builtin_algorithms() {
  return {ppo_algorithm_info(), dqn_algorithm_info()};
}

}  // namespace cairn
