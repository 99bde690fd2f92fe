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
// One train() call is one iteration of config.steps_per_iteration environment steps
// (steps_per_iteration / num_envs vector steps). Each vector step:
//   1. acts: uniformly random actions while timesteps < learning_starts, else
//      epsilon-greedy with epsilon = config.epsilon(timesteps);
//   2. steps the environments and adds the transitions to the replay buffer (which makes
//      the n-step returns and bootstraps truncated episodes from their final observation,
//      never terminated ones);
//   3. every train_freq vector steps, once timesteps > learning_starts, runs
//      updates_per_phase() updates on uniformly sampled minibatches (dqn_update.h);
//   4. every max(target_update_interval / num_envs, 1) vector steps updates the target
//      network (theta' <- tau theta + (1 - tau) theta').
// Metrics (TrainResult::metrics): loss, q_mean, grad_norm (means over the iteration's
// updates; NaN without updates), epsilon, updates, replay_size.
//
// Non-finite numbers: as PPO. Rewards and observations are checked as they arrive; by
// default the first NaN or infinity stops training with a cairn::Error naming its source.
// With non_finite = "skip" the VectorEnv drops the offending step (the episode ends there,
// by truncation, bootstrapping from the last finite observation; the replay buffer stores
// it so) and counts it; an update whose loss or gradient is not finite is skipped and
// counted. Non-finite weights always stop.
//
// Checkpoints: save_state() writes the target network, the optimiser, the generators, the
// step counters and (unless checkpoint_replay_buffer is false) the replay buffer (the
// frame saves the environments' states); then a restored run continues bit-identically. Without the
// buffer, checkpoint_is_complete() is false and a restored run starts from an empty buffer.
//
// Thread safety: not thread-safe. train() does not allocate in steady state (apart from
// the returned result); environments step on num_env_threads threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/dqn_config.h"
#include "cairn/env/vector_env.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/lr_schedule.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cairn/storage/replay_buffer.h"

namespace cairn {

class DQN final : public Algorithm {
 public:
  // Validates the config, builds the environments, the policy (online network), the
  // target network, the optimiser and the replay buffer. Throws cairn::Error for an
  // invalid config, an unknown environment, an action space that is not Discrete (naming
  // it), or a replay buffer larger than the memory budget.
  explicit DQN(const DQNConfig& config);
  ~DQN() override;

  TrainResult train() override;
  nlohmann::json config_json() const override { return config_.to_json(); }
  Policy& policy() override { return *policy_; }
  const Policy& policy() const override { return *policy_; }
  void restore_state(const TensorDict& in) override;
  void restore_policy(std::unique_ptr<Policy> policy, const std::string& source) override;
  VectorEnv* training_environments() override { return envs_.get(); }
  bool checkpoint_is_complete() const override { return config_.checkpoint_replay_buffer; }

  const DQNConfig& config() const { return config_; }
  const nn::Model<float>& target_network() const { return *target_; }
  const ReplayBuffer& replay_buffer() const { return *replay_; }
  // The exploration rate the next exploring step uses.
  double exploration_epsilon() const { return config_.epsilon(timesteps()); }

  // Checks an algorithm state file without building anything (AlgorithmInfo::check_state):
  // the tensors save_state() writes for `config`, their dtypes and the scalar shapes.
  // Throws cairn::Error naming the tensor.
  static void check_state(const TensorDict& state, const DQNConfig& config);
  // Names of the metrics every train() sets, in order.
  static const std::vector<std::string>& metric_names();

 protected:
  void save_state(TensorDict& out) const override;
  std::vector<float> example_observations() const override;

 private:
  void act(TrainResult& result);
  void update(TrainResult& result);
  void check_weights() const;

  DQNConfig config_;
  std::unique_ptr<VectorEnv> envs_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<nn::Model<float>> target_;  // built from the policy's model
  std::unique_ptr<nn::Adam<float>> optimizer_;
  nn::LrSchedule lr_schedule_;
  std::unique_ptr<ReplayBuffer> replay_;
  Rng action_rng_, sample_rng_;
  int64_t vector_steps_ = 0;  // since the start of the run (SB3's _n_calls)
  int64_t updates_ = 0;

  size_t num_envs_ = 0, obs_size_ = 0, feature_size_ = 0;
  int64_t action_start_ = 0;
  // Scratch.
  std::vector<float> observations_;   // the observations acted on, num_envs x obs
  std::vector<int64_t> env_actions_;  // num_envs
  ReplayBatch batch_;
  std::vector<float> features_, next_features_, targets_;
  std::vector<int64_t> action_indices_;
  // Sums over the iteration's updates, for the metrics.
  double loss_sum_ = 0, q_sum_ = 0, norm_sum_ = 0;
  int64_t updates_this_iter_ = 0;
};

// DQN's registry entry ("dqn") with its presets for CartPole-v1, Acrobot-v1 and
// MountainCar-v0, for the registry's built-in list (builtin_algorithms.h).
AlgorithmInfo dqn_algorithm_info();

}  // namespace cairn
