// DQN: deep Q-learning (Mnih et al. 2015, "Human-level control through deep reinforcement
// learning"), with double Q-learning (van Hasselt et al. 2016, option double_q, on by
// default), optional dueling networks (Wang et al. 2016, option dueling), a target network
// updated hard or softly, an epsilon-greedy exploration schedule, the Huber loss, Adam with
// global-norm gradient clipping, optional n-step returns, and Stable-Baselines3's
// scheduling of all of it (DQNConfig has the keys).
//
// The policy is a cairn::Policy with the greedy-Q head (PolicyHead::kGreedyQ): its model
// is the online Q-network with output "q"; acting greedily is argmax Q, exploring is
// epsilon-greedy with the schedule's epsilon (Policy::set_exploration_epsilon). The target
// network, the optimiser and the replay buffer belong to DQN.
//
// The learning loop (acting, replay, learning_starts, train_freq / gradient_steps, the
// learning-rate schedule, non-finite handling, counters) is OffPolicyAlgorithm's
// (off_policy_algorithm.h), with Stable-Baselines3's DQN semantics (LoopOptions):
//   - acting: uniformly random actions while timesteps < learning_starts, else
//     epsilon-greedy with epsilon = config.epsilon(timesteps); with
//     normalize_observations the statistics are updated before acting;
//   - every train_freq vector steps, once timesteps > learning_starts (strictly), an
//     update phase of updates_per_phase() updates (gradient_steps, or -1:
//     train_freq * num_envs) on uniformly sampled minibatches (dqn_update.h);
//   - every max(target_update_interval / num_envs, 1) vector steps the target network is
//     updated (theta' <- tau theta + (1 - tau) theta').
// Metrics (TrainResult::metrics): loss, q_mean, grad_norm (means over the iteration's
// updates; NaN without updates), epsilon, updates, replay_size.
//
// Non-finite numbers: OffPolicyAlgorithm's. By default the first NaN or infinite reward
// or observation stops training with a cairn::Error naming its source; with non_finite =
// "skip" the offending step is dropped (not stored in the replay buffer, its episode
// ended and reset) and counted; an update whose loss or gradient is not finite is skipped
// and counted. Non-finite weights always stop.
//
// Checkpoints: save_state() writes "rng/actions", "rng/sample", "dqn/counters" (vector
// steps, applied updates), the target network ("target/..."), the optimiser
// ("optimizer/q/...") and (unless checkpoint_replay_buffer is false) the replay buffer
// ("replay/..."); the frame saves the environments' states; then a restored run continues
// bit-identically. Without the buffer, checkpoint_is_complete() is false and a restored
// run starts from an empty buffer.
//
// Thread safety: not thread-safe. train() does not allocate in steady state (apart from
// the returned result); environments step on num_env_threads threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/dqn_config.h"
#include "cairn/algorithms/off_policy_algorithm.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/model.h"

namespace cairn {

class DQN final : public OffPolicyAlgorithm {
 public:
  // Validates the config, builds the environments, the policy (online network), the
  // target network, the optimiser and the replay buffer. Throws cairn::Error for an
  // invalid config, an unknown environment, an action space that is not Discrete (naming
  // it), or a replay buffer larger than the memory budget.
  explicit DQN(const DQNConfig& config);
  ~DQN() override;

  nlohmann::json config_json() const override { return config_.to_json(); }
  bool checkpoint_is_complete() const override { return config_.checkpoint_replay_buffer; }

  const DQNConfig& config() const { return config_; }
  const nn::Model<float>& target_network() const { return *target_; }
  // The exploration rate the next exploring step uses.
  double exploration_epsilon() const { return config_.epsilon(timesteps()); }

  // Checks an algorithm state file without building anything (AlgorithmInfo::check_state):
  // the tensors save_state() writes for `config`, their dtypes and the scalar shapes.
  // Throws cairn::Error naming the tensor.
  static void check_state(const TensorDict& state, const DQNConfig& config);
  // Names of the metrics every train() sets, in order.
  static const std::vector<std::string>& metric_names();

 private:
  void explore(std::span<const float> observations, Rng& action_rng, std::span<int64_t> int_actions,
               std::span<float> float_actions) override;
  void set_learning_rates(std::span<const double> rates) override;
  bool gradient_step(const OffPolicyBatch& batch) override;
  void vector_step_done() override;
  void add_iteration_metrics(Metrics& metrics) const override;
  void save_algorithm_state(TensorDict& out) const override;
  void restore_algorithm_state(const TensorDict& in) override;

  DQNConfig config_;
  std::unique_ptr<nn::Model<float>> target_;  // built from the policy's model
  std::unique_ptr<nn::Adam<float>> optimizer_;
  int64_t action_start_ = 0;
  int64_t target_every_ = 1;  // vector steps between target updates
  // Scratch.
  std::vector<float> targets_;
  std::vector<int64_t> action_indices_;
};

// DQN's registry entry ("dqn") with its presets for CartPole-v1, Acrobot-v1 and
// MountainCar-v0, for the registry's built-in list (builtin_algorithms.h).
AlgorithmInfo dqn_algorithm_info();

}  // namespace cairn
