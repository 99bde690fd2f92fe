#include "cairn/algorithms/builtin_algorithms.h"

#include "cairn/algorithms/dqn.h"
#include "cairn/algorithms/multi_agent_ppo.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/td3.h"

namespace cairn {

std::vector<AlgorithmInfo> builtin_algorithms() {
  return {ppo_algorithm_info(), sac_algorithm_info(), td3_algorithm_info(), dqn_algorithm_info(),
          multi_agent_ppo_algorithm_info()};
}

}  // namespace cairn
