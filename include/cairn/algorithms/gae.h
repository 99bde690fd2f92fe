// Generalised Advantage Estimation (Schulman et al. 2016), for rollouts of
// `num_steps` x `num_envs` transitions stored time-major (index t * num_envs + e).
//
//   delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) + gamma * V(final_t) * trunc_t * (1 - term_t)
//   - V(s_t) A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1} R_t     = A_t + V(s_t)
//   (the value target)
//
// where done_t = term_t or trunc_t. With same-step auto-reset the observation
// after a finished step belongs to the next episode, so an episode end cuts the
// recursion; a truncated (not terminated) step still bootstraps from the value
// of its final observation, `final_values[t * num_envs + e]`. `next_values[e]`
// is V of the observation after the last stored step.
//
// Sizes are checked (cairn::Error on mismatch). Does not allocate. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cairn {

struct GaeInputs {
  size_t num_steps = 0;
  size_t num_envs = 0;
  std::span<const float> rewards;       // [T * N]
  std::span<const float> values;        // [T * N]  V(s_t)
  std::span<const uint8_t> terminated;  // [T * N]
  std::span<const uint8_t> truncated;   // [T * N]
  std::span<const float> final_values;  // [T * N]  V(final observation); read where truncated
  std::span<const float> next_values;   // [N]      V(s_T)
  float gamma = 0.99f;
  float lambda = 0.95f;
};

void compute_gae(const GaeInputs& in, std::span<float> advantages, std::span<float> returns);

}  // namespace cairn
