// Ready-made model specs.
//
// ppo_actor_critic: the PPO default (CleanRL / SB3 "MlpPolicy" layout). Separate
// policy and value networks of two 64-unit tanh layers each; orthogonal kernels with
// gain sqrt(2) for hidden layers, 0.01 for the policy output and 1.0 for the value
// output; zero biases. Outputs "pi" [batch, num_dist_inputs] and "vf" [batch, 1].
// With shared_trunk, a block "trunk" holds the hidden layers and "pi"/"vf" are single
// dense heads reading it. Parameter names: pi/dense_0/kernel ... vf/dense_2/bias (or
// trunk/dense_k, pi/dense_0, vf/dense_0 with a shared trunk).
//
// founding_story_actor_critic: the custom model from cairn's founding story. Policy
// 2 x dense(256, silu) then dense(num_actions); value 2 x dense(256, silu) then
// dense(1); every kernel variance-scaling initialised (default: scale 1, fan_in,
// truncated normal, i.e. LeCun normal; the policy output layer scale 0.01), biases zero.
//
// All functions return validated specs and throw cairn::Error for sizes < 1.
#pragma once

#include <cmath>
#include <vector>

#include "cairn/nn/activation.h"
#include "cairn/nn/initializers.h"
#include "cairn/nn/model_spec.h"

namespace cairn::nn {

struct ActorCriticOptions {
  std::vector<Index> hidden{64, 64};
  Activation activation = Activation::tanh();
  bool shared_trunk = false;
  double hidden_gain = std::sqrt(2.0);
  double policy_gain = 0.01;
  double value_gain = 1.0;
};

ModelSpec ppo_actor_critic(Index obs_dim, Index num_dist_inputs,
                           const ActorCriticOptions& options = {});

struct FoundingStoryOptions {
  Index hidden = 256;
  InitSpec kernel_init = InitSpec::variance_scaling(1.0, InitSpec::Mode::kFanIn,
                                                    InitSpec::Distribution::kTruncatedNormal);
  // The policy's output layer starts near zero, so the first policy is close to uniform
  // and explores (RLlib initialises its logits layer with std 0.01 for the same reason;
  // with kernel_init there, some seeds start so sure of "left" that SimpleCorridor's end
  // is never reached).
  InitSpec policy_output_init = InitSpec::variance_scaling(
      0.01, InitSpec::Mode::kFanIn, InitSpec::Distribution::kTruncatedNormal);
};

ModelSpec founding_story_actor_critic(Index obs_dim, Index num_actions,
                                      const FoundingStoryOptions& options = {});

}  // namespace cairn::nn
