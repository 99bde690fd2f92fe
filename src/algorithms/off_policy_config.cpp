#include "cairn/algorithms/off_policy_config.h"

#include "cairn/error.h"

namespace cairn::replay_config {

void validate(const std::string& label, const ReplayConfig& c, int64_t networks) {
  if (c.steps_per_iteration % c.num_envs != 0) {
    throw Error(label + ": 'steps_per_iteration' (" + std::to_string(c.steps_per_iteration) +
                ") must be a multiple of 'num_envs' (" + std::to_string(c.num_envs) + ")");
  }
  if (c.batch_size > c.buffer_size) {
    throw Error(label + ": 'batch_size' (" + std::to_string(c.batch_size) +
                ") exceeds 'buffer_size' (" + std::to_string(c.buffer_size) + ")");
  }
  check_hidden_sizes(label, c.hidden_sizes, networks);
}

}  // namespace cairn::replay_config
