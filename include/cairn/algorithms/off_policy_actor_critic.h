// OffPolicyActorCritic: the learning loop SAC and TD3 share (sac.h, td3.h), on the
// algorithm frame (algorithm.h). One home for how an off-policy actor-critic collects,
// stores, samples and checkpoints; the algorithms supply the gradient step.
//
// One train() call is config.steps_per_iteration environment steps (steps_per_iteration /
// num_envs vector steps). Each vector step:
//   1. acts: while fewer than learning_starts environment steps were taken, a uniform
//      random action in the Box (as Stable-Baselines3 and CleanRL); afterwards the
//      policy's exploring action (its head draws the noise from the action generator),
//      or, when the algorithm chose Ornstein-Uhlenbeck noise
//      (use_ornstein_uhlenbeck_noise), the deterministic action plus that noise times the
//      Box's half range, clipped to the bounds (the noise from the action generator; an
//      environment's process restarts at 0 when its episode ends);
//   2. steps the environments and records finished episodes;
//   3. stores the step in the replay buffer (storage/replay_buffer.h): environment actions
//      as the environments received them, terminated vs truncated kept apart;
//   4. from learning_starts on, every train_freq vector steps, runs gradient_steps
//      gradient steps, each on a uniform batch (update generator) whose observations are
//      preprocessed by the policy and whose actions are mapped back to [-1, 1]
//      (SquashedGaussian::from_bounds), the range the critics and actors work in.
// Learning rates follow nn::LrSchedule (constant, or linear to 0 over total_timesteps
// with anneal_lr), indexed by the environment step.
//
// Non-finite data: with non_finite = "error" a NaN or infinite reward or observation
// stops train() with a cairn::Error naming the environment and step; with "skip" the
// environments drop it (VectorEnv: the row becomes a truncation with reward 0 whose final
// observation is the last finite one) and it is counted; a gradient step whose loss or
// gradient is not finite then changes nothing and is counted as a skipped minibatch.
//
// State (save_state): "rng/actions", "rng/update", "off_policy/vector_steps",
// "off_policy/gradient_steps", "critics/..." (TwinCritic), "replay/..." (ReplayBuffer,
// unless checkpoint_replay_buffer is false: then the checkpoint is not complete and a
// resumed run starts from an empty buffer), "exploration/ornstein_uhlenbeck/state" with
// Ornstein-Uhlenbeck noise (ornstein_uhlenbeck_noise.h), plus the algorithm's own
// (save_update_state). The frame saves the environments ("envs/...").
//
// Thread safety: not thread-safe. train() does not allocate in steady state (apart from
// the returned result).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/off_policy_config.h"
#include "cairn/algorithms/sac_update.h"
#include "cairn/algorithms/twin_critic.h"
#include "cairn/env/vector_env.h"
#include "cairn/nn/lr_schedule.h"
#include "cairn/policy/ornstein_uhlenbeck_noise.h"
#include "cairn/policy/policy.h"
#include "cairn/policy/squashed_gaussian.h"
#include "cairn/storage/replay_buffer.h"

namespace cairn {

class OffPolicyActorCritic : public Algorithm {
 public:
  ~OffPolicyActorCritic() override;

  TrainResult train() override;
  Policy& policy() override { return *policy_; }
  const Policy& policy() const override { return *policy_; }
  void restore_state(const TensorDict& in) override;
  VectorEnv* training_environments() override { return envs_.get(); }
  bool checkpoint_is_complete() const override;

  TwinCritic& critics() { return *critics_; }
  const ReplayBuffer& replay_buffer() const { return *replay_; }
  // The exploration noise process, or nullptr with the policy's own exploration.
  const OrnsteinUhlenbeckNoise* ornstein_uhlenbeck_noise() const {
    return action_noise_ ? &*action_noise_ : nullptr;
  }
  int64_t gradient_steps_done() const { return gradient_steps_; }

 protected:
  // Streams of config.seed: the frame's draws come from these only.
  enum Stream : uint64_t { kModelInit = 0, kActions = 1, kUpdate = 2, kCriticInit = 3 };

  // Builds the environments (reset with config.seed), the policy (with the head of
  // `policy_options` and `actor_spec`), the critics and the replay buffer. Every train()
  // reports each of `metric_names` (NaN when not measured). Throws cairn::Error naming
  // the config key or the space (a Box with finite bounds is required), or when the
  // replay buffer would exceed the memory budget.
  OffPolicyActorCritic(std::string name, std::string label, const OffPolicyConfig& config,
                       PolicyOptions policy_options, const nn::ModelSpec& actor_spec,
                       const std::vector<std::string>& metric_names);

  // Explores with Ornstein-Uhlenbeck noise of `options` (one process per environment and
  // action element) instead of the policy head's exploration; for constructors.
  // Throws cairn::Error on invalid options (OrnsteinUhlenbeckNoise).
  void use_ornstein_uhlenbeck_noise(const OrnsteinUhlenbeckOptions& options);

  // One gradient step on `batch`, reporting its metrics with accumulate(). Returns false
  // if a loss or gradient was not finite (nothing was updated after it).
  virtual bool gradient_step(const TransitionBatchView& batch) = 0;
  // Adds one value of metric `name`; train() reports the mean of each metric over the
  // values added in the iteration (NaN if none). Allocates only for a new name.
  void accumulate(const std::string& name, double value);
  // The learning rates for the next gradient step.
  virtual void set_learning_rates(double actor_lr, double critic_lr) = 0;
  virtual void save_update_state(TensorDict& out) const = 0;
  virtual void restore_update_state(const TensorDict& in) = 0;

  void save_state(TensorDict& out) const override;
  std::vector<float> example_observations() const override;

  const OffPolicyConfig& base_config() const { return config_; }
  size_t feature_size() const { return feature_size_; }
  size_t action_dim() const { return action_dim_; }
  Rng& update_rng() { return update_rng_; }
  nn::AdamOptions adam(double lr) const;

  std::unique_ptr<TwinCritic> critics_;
  std::unique_ptr<Policy> policy_;

 private:
  void act(TrainResult& result);
  void run_gradient_steps(TrainResult& result);

  OffPolicyConfig config_;
  std::unique_ptr<VectorEnv> envs_;
  std::unique_ptr<ReplayBuffer> replay_;
  std::optional<OrnsteinUhlenbeckNoise> action_noise_;
  std::vector<float> noise_;
  SquashedGaussian<float> bounds_;  // to_bounds / from_bounds of the Box
  nn::LrSchedule actor_lr_, critic_lr_;
  Rng action_rng_, update_rng_;
  int64_t vector_steps_ = 0, gradient_steps_ = 0;

  size_t num_envs_ = 0, obs_size_ = 0, feature_size_ = 0, action_dim_ = 0;
  std::vector<float> observations_, env_actions_;
  ReplayBatch batch_;
  std::vector<float> features_, next_features_, squashed_actions_;
  // The iteration's metric sums and counts, in the order of first use.
  std::vector<std::string> metric_names_;
  std::vector<double> metric_sums_;
  std::vector<int64_t> metric_counts_;
};

// The checks restore_state() makes before restoring anything, for
// AlgorithmInfo::check_state: the generators, the counters, when the config keeps it the
// replay buffer's presence, and with Ornstein-Uhlenbeck noise its state's presence.
// Throws cairn::Error naming the tensor.
void check_off_policy_state(const TensorDict& in, bool replay_buffer,
                            bool ornstein_uhlenbeck_noise = false);

}  // namespace cairn
