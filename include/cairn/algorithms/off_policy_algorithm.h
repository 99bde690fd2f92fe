// OffPolicyAlgorithm: the replay-based learning loop DQN, SAC and TD3 share, on the
// algorithm frame (algorithm.h). One home for how an off-policy algorithm collects,
// stores, samples, schedules, counts and checkpoints; the algorithms supply how to act
// after warm-up, the gradient step and their own state (dqn.h, off_policy_actor_critic.h).
//
// One train() call is config.steps_per_iteration environment steps (steps_per_iteration /
// num_envs vector steps). Each vector step:
//   1. acts on the environments' observations: while fewer than learning_starts
//      environment steps were taken, a uniform random action (Box: rng.uniform(low, high)
//      per element, as Stable-Baselines3 and CleanRL; Discrete/MultiDiscrete:
//      Space::sample); afterwards explore() (the algorithm's: epsilon-greedy for DQN, the
//      policy head's noise or Ornstein-Uhlenbeck noise for SAC/TD3), all draws from the
//      action generator;
//   2. steps the environments, records finished episodes, calls environments_stepped();
//   3. stores the step in the replay buffer (storage/replay_buffer.h): actions as the
//      environments received them, terminated vs truncated kept apart;
//   4. every train_freq vector steps, once learning has started (LoopOptions), runs an
//      update phase: the learning rates of the schedules at the current step
//      (set_learning_rates), then gradient_steps gradient steps, each on a uniform batch
//      (update generator) whose observations the policy preprocessed;
//   5. calls vector_step_done() (DQN updates its target network there).
// Learning rates follow nn::LrSchedule (constant, or linear to 0 over total_timesteps
// with anneal_lr), indexed by the environment step.
//
// Where the algorithms differ (LoopOptions, set by each constructor):
//   - SAC/TD3 learn once timesteps >= learning_starts; DQN once timesteps >
//     learning_starts (Stable-Baselines3's DQN);
//   - DQN's gradient_steps -1 means train_freq * num_envs (DQNConfig::updates_per_phase);
//   - with normalize_observations, DQN updates the observation statistics before acting,
//     SAC/TD3 after the step;
//   - the names of the counter and update-generator tensors (below).
//
// Non-finite data: with non_finite = "error" a NaN or infinite reward or observation
// stops train() with a cairn::Error naming the environment and step; with "skip" the
// environment's step is dropped: VectorEnv ends and resets that environment's episode
// (skipped() marks the row), the dropped step is not stored in the replay buffer (the
// environment's pending n-step window ends there, truncated at the last observation
// acted on) and it is counted in TrainResult::non_finite_transitions_skipped. A gradient
// step whose loss or gradient is not finite then changes nothing and is counted as a
// skipped minibatch (with "error" it throws). Non-finite weights always stop.
//
// State (save_state): the action generator "rng/actions", the update generator
// (LoopOptions::update_rng_name), the counters (LoopOptions::counters), "replay/..."
// (ReplayBuffer, unless checkpoint_replay_buffer is false: then the checkpoint is not
// complete and a resumed run starts from an empty buffer), plus the algorithm's own
// (save_algorithm_state). The frame saves the environments ("envs/...").
//
// Thread safety: not thread-safe. train() does not allocate in steady state (apart from
// the returned result).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/off_policy_config.h"
#include "cairn/env/vector_env.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/lr_schedule.h"
#include "cairn/nn/tensor.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cairn/storage/replay_buffer.h"

namespace cairn {

// A sampled batch as the gradient step sees it: the replay batch (raw observations,
// actions as the environments received them, n-step rewards and discounts) and the
// policy's preprocessed features of its observations and next observations.
struct OffPolicyBatch {
  const ReplayBatch& replay;
  nn::MatrixSpan<const float> features, next_features;  // [batch x feature_size]
};

// How an off-policy algorithm's counters are checkpointed (the names are the ones each
// algorithm wrote before the loop was shared, so older checkpoints restore).
enum class OffPolicyCounters {
  kOffPolicy,  // "off_policy/vector_steps", "off_policy/gradient_steps" (attempted): SAC, TD3
  kDQN,        // "dqn/counters" = [vector steps, applied gradient steps]: DQN
};

class OffPolicyAlgorithm : public Algorithm {
 public:
  // Where the algorithms' loops differ (see the top of this file).
  struct LoopOptions {
    bool learn_after_learning_starts = false;  // true: timesteps > learning_starts (DQN)
    int64_t gradient_steps = 1;                // per update phase
    bool statistics_before_acting = false;     // true: DQN
    const char* update_rng_name = "rng/update";
    OffPolicyCounters counters = OffPolicyCounters::kOffPolicy;
  };

  ~OffPolicyAlgorithm() override;

  TrainResult train() override;
  Policy& policy() override { return *policy_; }
  const Policy& policy() const override { return *policy_; }
  void restore_state(const TensorDict& in) override;
  void restore_policy(std::unique_ptr<Policy> policy, const std::string& source) override;
  VectorEnv* training_environments() override { return envs_.get(); }
  bool checkpoint_is_complete() const override;

  const ReplayBuffer& replay_buffer() const { return *replay_; }
  // Gradient steps attempted so far, including the current one inside gradient_step()
  // (and skipped non-finite ones).
  int64_t gradient_steps_done() const { return gradient_steps_; }
  // Gradient steps that changed the weights.
  int64_t gradient_steps_applied() const { return applied_steps_; }
  int64_t vector_steps_done() const { return vector_steps_; }

 protected:
  // Streams of config.seed: the loop's draws come from kActions and kUpdate only; the
  // algorithms initialise their networks from kModelInit (the policy) and their own.
  enum Stream : uint64_t { kModelInit = 0, kActions = 1, kUpdate = 2, kCriticInit = 3 };

  // Builds the environments (reset with config.seed), the policy (`policy_options` with
  // the config's normalisation, the model of model_spec(observation space, action space),
  // initialised from stream kModelInit) and the replay buffer. `learning_rates` are the
  // initial rates of the schedules set_learning_rates() receives. Every train() reports
  // each of `metric_names` (NaN when not measured). Throws cairn::Error naming the config
  // key, or when the replay buffer would exceed the memory budget; `model_spec` may throw
  // for a space the algorithm cannot use.
  OffPolicyAlgorithm(
      std::string name, std::string label, const ReplayConfig& config, LoopOptions loop,
      PolicyOptions policy_options,
      const std::function<nn::ModelSpec(const Space& obs, const Space& act)>& model_spec,
      const std::vector<double>& learning_rates, const std::vector<std::string>& metric_names);

  // --- Hooks -----------------------------------------------------------------------
  // Fills the environments' actions for `observations` (num_envs rows) after warm-up:
  // `int_actions` for integer action spaces, else `float_actions`. The default explores
  // with the policy head (Policy::compute_actions with explore = true, action generator).
  virtual void explore(std::span<const float> observations, Rng& action_rng,
                       std::span<int64_t> int_actions, std::span<float> float_actions);
  // After every environment step (before the step is stored).
  virtual void environments_stepped() {}
  // The learning rates of the schedules (in the constructor's order) for the update
  // phase about to run.
  virtual void set_learning_rates(std::span<const double> rates) = 0;
  // One gradient step on `batch`, reporting its metrics with accumulate(). Returns false
  // if a loss or gradient was not finite (nothing was updated after it).
  virtual bool gradient_step(const OffPolicyBatch& batch) = 0;
  // After every vector step and its update phase, if any.
  virtual void vector_step_done() {}
  // The iteration's metrics besides the means of accumulate() and replay_size.
  virtual void add_iteration_metrics(Metrics& metrics) const = 0;
  // The algorithm's own state. restore_algorithm_state() runs after check_loop_state()
  // passed and before the loop's state changes; it throws (naming the tensor) before
  // changing anything.
  virtual void save_algorithm_state(TensorDict& out) const = 0;
  virtual void restore_algorithm_state(const TensorDict& in) = 0;

  // Adds one value of metric `name`; train() reports the mean of each metric over the
  // values added in the iteration (NaN if none). Allocates only for a new name.
  void accumulate(const std::string& name, double value);

  void save_state(TensorDict& out) const override;
  std::vector<float> example_observations() const override;

  const ReplayConfig& replay_config() const { return config_; }
  VectorEnv& environments() { return *envs_; }
  size_t num_envs() const { return num_envs_; }
  size_t feature_size() const { return feature_size_; }
  Rng& update_rng() { return update_rng_; }
  // The learning rate of schedule 0 at the current step.
  double learning_rate() const { return lr_schedules_[0](timesteps()); }
  nn::AdamOptions adam(double lr) const;

  std::unique_ptr<Policy> policy_;

 private:
  void act(TrainResult& result);
  void run_gradient_steps(TrainResult& result);
  bool learning_started() const;

  ReplayConfig config_;
  LoopOptions loop_;
  std::unique_ptr<VectorEnv> envs_;
  std::unique_ptr<ReplayBuffer> replay_;
  std::vector<nn::LrSchedule> lr_schedules_;
  std::vector<double> rates_;
  Rng action_rng_, update_rng_;
  int64_t vector_steps_ = 0, gradient_steps_ = 0, applied_steps_ = 0;

  size_t num_envs_ = 0, obs_size_ = 0, feature_size_ = 0;
  bool integer_actions_ = false;
  std::vector<float> box_low_, box_high_;  // Box bounds for the uniform warm-up
  size_t act_size_ = 0;
  std::vector<float> observations_, float_actions_;
  std::vector<int64_t> int_actions_;
  ReplayBatch batch_;
  std::vector<float> features_, next_features_;
  // The iteration's metric sums and counts, in the order of first use.
  std::vector<std::string> metric_names_;
  std::vector<double> metric_sums_;
  std::vector<int64_t> metric_counts_;
};

// The checks OffPolicyAlgorithm::restore_state() makes before restoring anything, for
// AlgorithmInfo::check_state: the generators, the counters and, when the config keeps it,
// the replay buffer's presence. Throws cairn::Error naming the tensor.
void check_off_policy_loop_state(const TensorDict& in, const char* update_rng_name,
                                 OffPolicyCounters counters, bool replay_buffer);

}  // namespace cairn
