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
// Off-policy networks (SAC, TD3, DQN): one block of `hidden_sizes` dense layers with
// `activation`, then a linear output layer, every layer initialised as PyTorch's default
// nn.Linear (kernel uniform(+-1/sqrt(fan_in)), i.e. kaiming_uniform_(a=sqrt(5)); bias
// uniform(+-1/sqrt(fan_in))), as Stable-Baselines3's and CleanRL's off-policy networks
// are. The input is the flattened observation (features) unless said otherwise.
//   squashed_gaussian_actor_spec  SAC's actor: output "pi" [batch, 2 * action_dim], the
//                                 means then the log-stds (the squashed_gaussian head).
//   deterministic_actor_spec      TD3's actor: output "pi" [batch, action_dim], squashed
//                                 by tanh in the policy (the deterministic head).
//   q_network_spec                DQN's network: output "q" [batch, num_actions].
//   q_critic_spec                 a state-action critic Q(s, a): input [features, action]
//                                 (obs_features + action_dim columns, as SAC/TD3 concatenate
//                                 them), output "q" [batch, 1]. Owned by the algorithm,
//                                 never part of a policy.
// Parameter names: <output>/dense_0/kernel ... <output>/dense_<k>/bias.
//
// with_memory: wraps any model with a memory core, like RLlib's use_lstm: the model input
// goes through an optional encoder (dense layers of `encoder` units with `activation`), then
// an LSTM or GRU of `units` units, and every block of `spec` that read the model input reads
// the core's output instead (so an actor-critic's policy and value networks become heads on
// the memory). With shared = false, each such block gets its own encoder and core (the value
// function keeps a memory of its own, as sb3-contrib's enable_critic_lstm). Blocks are named
// "memory" (or "memory_<block>"), the core's layer "<cell>_0", the encoder's "dense_<k>";
// the core's initialisation is PyTorch's (nn/recurrent_layers.h), the encoder's orthogonal
// with gain sqrt(2).
//
// All functions return validated specs and throw cairn::Error for sizes < 1.
#pragma once

#include <cmath>
#include <string>
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

ModelSpec squashed_gaussian_actor_spec(Index obs_features, Index action_dim,
                                       const std::vector<Index>& hidden_sizes = {256, 256},
                                       const Activation& activation = Activation::relu());
ModelSpec deterministic_actor_spec(Index obs_features, Index action_dim,
                                   const std::vector<Index>& hidden_sizes = {256, 256},
                                   const Activation& activation = Activation::relu());
ModelSpec q_network_spec(Index obs_features, Index num_actions,
                         const std::vector<Index>& hidden_sizes = {64, 64},
                         const Activation& activation = Activation::relu());
// `input_size` = obs_features + action_dim.
ModelSpec q_critic_spec(Index input_size, const std::vector<Index>& hidden_sizes = {256, 256},
                        const Activation& activation = Activation::relu());

struct MemoryOptions {
  std::string cell = "lstm";  // "lstm" or "gru"
  Index units = 64;
  std::vector<Index> encoder{};
  Activation activation = Activation::tanh();
  bool shared = true;
};

// Throws cairn::Error for an unknown cell, sizes < 1, or a spec no block of which reads the
// model input.
ModelSpec with_memory(const ModelSpec& spec, const MemoryOptions& options = {});

}  // namespace cairn::nn
