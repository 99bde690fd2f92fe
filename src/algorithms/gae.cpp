#include "cairn/algorithms/gae.h"

#include <string>

#include "cairn/error.h"

namespace cairn {
namespace {

void require(size_t got, size_t want, const char* what) {
  if (got != want) {
    throw Error(std::string("compute_gae: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

}  // namespace

void compute_gae(const GaeInputs& in, std::span<float> advantages, std::span<float> returns) {
  const size_t n = in.num_envs, total = in.num_steps * in.num_envs;
  require(in.rewards.size(), total, "rewards");
  require(in.values.size(), total, "values");
  require(in.terminated.size(), total, "terminated");
  require(in.truncated.size(), total, "truncated");
  require(in.final_values.size(), total, "final_values");
  require(in.next_values.size(), n, "next_values");
  require(advantages.size(), total, "advantages");
  require(returns.size(), total, "returns");
  for (size_t e = 0; e < n; ++e) {
    float next_advantage = 0.0f;
    float next_value = in.next_values[e];
    for (size_t t = in.num_steps; t-- > 0;) {
      const size_t i = t * n + e;
      const bool terminated = in.terminated[i] != 0;
      const bool done = terminated || in.truncated[i] != 0;
      // The value the TD error bootstraps from: the next state's, the final observation's
      // for a truncated episode, nothing for a terminal state.
      const float bootstrap = terminated ? 0.0f : (done ? in.final_values[i] : next_value);
      const float delta = in.rewards[i] + in.gamma * bootstrap - in.values[i];
      const float advantage =
          delta + (done ? 0.0f : in.gamma * in.lambda * next_advantage);  // GAE recursion
      advantages[i] = advantage;
      returns[i] = advantage + in.values[i];
      next_advantage = advantage;
      next_value = in.values[i];
    }
  }
}

}  // namespace cairn
