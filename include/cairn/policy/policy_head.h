// PolicyHead: how a Policy turns its model's output into an action.
//
//   kStochastic        JSON "stochastic" (PPO; the default). An ActionDistribution over the
//                      model output "pi" (logits, or Gaussian means with a state-independent
//                      learned log_std); exploring samples it, the deterministic action is
//                      its mode. The model must also have a value output "vf".
//   kSquashedGaussian  "squashed_gaussian" (SAC). Box actions with finite bounds. "pi" has
//                      2 * action_dim columns: means, then log-stds (clamped to [-20, 2]).
//                      Exploring: u ~ N(mean, std), action = to_bounds(tanh(u));
//                      deterministic: to_bounds(tanh(mean)) (squashed_gaussian.h).
//   kDeterministic     "deterministic" (TD3, DDPG). Box actions with finite bounds. "pi" has
//                      action_dim columns; action = to_bounds(tanh(pi)). Exploring adds
//                      Gaussian noise of std exploration_noise * (high - low) / 2 to each
//                      element and clips to the bounds (TD3's exploration noise, expressed
//                      as a fraction of the half range so it means the same for any bounds).
//   kGreedyQ           "greedy_q" (DQN). Discrete actions. The model output "q" holds one
//                      Q-value per action; action = argmax (the first maximum on ties) plus
//                      the space's start. Exploring is epsilon-greedy per row.
//
// Only kStochastic has a value output; the critics of SAC, TD3 and DQN's target network
// belong to the algorithm, not to the policy.
#pragma once

#include <string>

namespace cairn {

enum class PolicyHead {
  kStochastic,
  kSquashedGaussian,
  kDeterministic,
  kGreedyQ,
};

// The JSON name: "stochastic", "squashed_gaussian", "deterministic", "greedy_q".
std::string to_string(PolicyHead head);
// The inverse of to_string. Throws cairn::Error quoting the value and listing the names.
PolicyHead policy_head_from_string(const std::string& name);

}  // namespace cairn
