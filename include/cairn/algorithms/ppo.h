// PPO: Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy
// Optimization Algorithms"), with the implementation details that make it work
// in practice (Huang et al. 2022, "The 37 Implementation Details of PPO"): GAE(lambda),
// per-minibatch advantage normalisation, the clipped surrogate objective, optional
// value clipping, an entropy bonus, optional KL-based early stopping, minibatch
// epochs, Adam with linear learning-rate decay, global-norm gradient clipping, and
// orthogonal initialisation (the default model).
//
// One train() call is one iteration: collect num_envs x num_steps transitions with
// the current policy, then update it for num_epochs epochs of num_minibatches
// minibatches. The same config, seed and build give bit-identical runs.
//
// Non-finite numbers: rewards and observations are checked as they arrive from the
// environments, the loss and gradient of every minibatch before the optimiser step,
// advantages after GAE and the weights after each update. By default the first NaN or
// infinity stops training with a cairn::Error naming its source; with
// config.non_finite = kSkip, offending transitions and minibatches are dropped and
// counted in TrainResult instead (non-finite weights or advantages always stop).
//
// Thread safety: not thread-safe. train() does not allocate in steady state
// (apart from the returned result); environments step on num_env_threads threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/ppo_config.h"
#include "cairn/env/vector_env.h"
#include "cairn/nn/adam.h"
#include "cairn/policy/policy.h"

namespace cairn {

// The metrics of one training iteration.
struct TrainResult {
  int64_t iteration = 0;  // 1-based
  int64_t timesteps = 0;  // environment steps so far (all environments)
  int64_t episodes = 0;   // episodes finished so far
  int64_t episodes_this_iter = 0;
  double episode_return_mean = 0;  // over the last 100 finished training episodes (NaN if none)
  double episode_length_mean = 0;
  double policy_loss = 0;  // means over the minibatches of the last epoch run
  double value_loss = 0;
  double entropy = 0;
  double approx_kl = 0;           // E[(ratio - 1) - log ratio]
  double clip_fraction = 0;       // fraction of samples with |ratio - 1| > clip_coef
  double explained_variance = 0;  // 1 - Var[R - V] / Var[R] over the batch
  double learning_rate = 0;
  bool stopped_early_kl = false;  // the KL target ended the epochs early
  // With non_finite = "skip": transitions dropped this iteration for a NaN or infinite
  // reward or observation, and minibatches whose loss or gradient was not finite
  // (their update was skipped).
  int64_t non_finite_transitions_skipped = 0;
  int64_t non_finite_minibatches_skipped = 0;
  double steps_per_second = 0;  // of this iteration, collection and update
  double time_elapsed = 0;      // seconds of train() so far

  nlohmann::json to_json() const;
};

// When learn() stops: the first condition met (unset conditions never stop).
struct StopConditions {
  std::optional<int64_t> timesteps;
  std::optional<int64_t> iterations;
  std::optional<double> seconds;      // wall-clock seconds of training
  std::optional<double> mean_return;  // episode_return_mean >= this
  bool met(const TrainResult& r) const;
};

struct EvaluationResult {
  std::vector<double> returns;
  std::vector<int64_t> lengths;
  double mean_return = 0, std_return = 0, min_return = 0, max_return = 0, mean_length = 0;
  nlohmann::json to_json() const;
};

class PPO {
 public:
  // Validates the config, builds the environments (make(config.env_id)), the policy
  // and the optimiser. Throws cairn::Error for an invalid config, an unknown
  // environment, a model that does not fit the spaces, or sizes whose estimated
  // memory exceeds nn::memory_budget_bytes() (checked before the buffers are allocated).
  explicit PPO(const PPOConfig& config);
  ~PPO();

  // One iteration: rollouts, then the PPO update. Returns its metrics. Throws
  // cairn::Error on non-finite data (see the file comment); the run should then be
  // abandoned (its last checkpoint is intact).
  TrainResult train();
  // Calls train() until `stop` is met; `on_iteration` (optional) sees every result
  // and may return false to stop. Returns every result.
  std::vector<TrainResult> learn(const StopConditions& stop,
                                 const std::function<bool(const TrainResult&)>& on_iteration = {});

  // Runs `episodes` episodes on a fresh environment (episode i reset with seed + i),
  // taking the mode of the policy (deterministic) or sampling from it. Does not
  // change the training state. Throws cairn::Error if episodes < 1.
  EvaluationResult evaluate(int64_t episodes, bool deterministic = true, uint64_t seed = 1000000);

  // --- Checkpoints (docs/checkpoint-format.md) --------------------------------------
  // Writes an algorithm checkpoint folder atomically: cairn_checkpoint.json (config,
  // counters, the last result, checksums of every file), algorithm_state.safetensors
  // (optimiser moments, generator states, episode statistics, reward normaliser and the
  // environments' states) and policies/default_policy/ (a self-contained policy folder
  // whose example is the current observations). Refuses to replace an existing non-empty
  // folder unless `overwrite`, and refuses a policy with non-finite weights (naming the
  // tensor). Throws cairn::Error naming the path on failure.
  void save_checkpoint(const std::filesystem::path& dir, bool overwrite = false);
  // Restores an algorithm from a checkpoint folder (or a run folder's latest) to continue
  // training: on the same build and machine, bit-identical to a run that never stopped.
  // The environment id must be registered. Environments that do not expose their state
  // are reset instead (seeded from the seed and the iteration), so their episodes restart.
  // Throws cairn::Error naming the file and the problem, including a config whose sizes
  // are out of range and any state tensor holding a NaN or infinity.
  static std::unique_ptr<PPO> from_checkpoint(const std::filesystem::path& path);
  // Verifies an algorithm checkpoint without restoring it (no environment is built): its
  // manifest, file list and checksums, config, policy list, counters and algorithm state,
  // with the same checks from_checkpoint makes. Returns the manifest
  // (cairn_checkpoint.json), its fields checked. Throws cairn::Error naming the file and
  // the problem.
  static nlohmann::json verify_checkpoint(const std::filesystem::path& path);

  // The result of the last train() (iteration 0 before any).
  const TrainResult& last_result() const { return last_result_; }

  const PPOConfig& config() const { return config_; }
  Policy& policy() { return *policy_; }
  const Policy& policy() const { return *policy_; }
  int64_t iteration() const { return iteration_; }
  int64_t timesteps() const { return timesteps_; }

 private:
  void save_state(TensorDict& out) const;
  void restore_state(const TensorDict& in);
  void collect_rollouts(TrainResult& result);
  void scale_rewards(size_t row);
  void update(TrainResult& result);
  double minibatch_step(std::span<const size_t> indices, double clip_coef, TrainResult& sums);
  void check_memory(const nn::ModelSpec& spec) const;
  template <typename Action>
  void step_envs(std::span<const Action> actions, size_t t);
  std::string where() const;  // "PPO iteration 3" (error context)

  PPOConfig config_;
  std::unique_ptr<VectorEnv> envs_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<nn::Adam<float>> model_optimizer_, log_std_optimizer_;
  std::vector<nn::TensorInfo> log_std_layout_;
  std::vector<float> log_std_grad_;
  Rng action_rng_, shuffle_rng_;
  std::unique_ptr<RunningMeanStd> return_stats_;  // normalize_rewards
  std::vector<double> discounted_returns_;        // per environment
  std::vector<float> return_scratch_;

  TrainResult last_result_;
  int64_t epoch_ = 0, skipped_minibatches_ = 0;  // of the update in progress
  int64_t iteration_ = 0, timesteps_ = 0, episodes_ = 0;
  double train_seconds_ = 0;
  std::vector<double> recent_returns_, recent_lengths_;  // ring buffers of the last 100
  size_t recent_next_ = 0, recent_count_ = 0;

  // Rollout storage, time-major: row t * num_envs + e.
  size_t num_envs_ = 0, num_steps_ = 0, batch_ = 0, feature_size_ = 0, action_dim_ = 0;
  std::vector<float> features_, raw_actions_, log_probs_, values_, rewards_, final_values_;
  std::vector<int64_t> action_indices_, env_int_actions_;
  std::vector<float> env_float_actions_;
  std::vector<uint8_t> terminated_, truncated_;
  std::vector<float> advantages_, returns_, next_values_;
  std::vector<float> final_features_;  // scratch for bootstrapping truncated episodes
  std::vector<size_t> truncated_envs_;

  // Minibatch scratch.
  std::vector<size_t> order_;
  std::vector<float> mb_features_, mb_raw_actions_, mb_log_probs_, mb_entropy_, mb_advantages_;
  std::vector<float> mb_old_log_probs_, mb_old_values_, mb_returns_;
  std::vector<int64_t> mb_action_indices_;
  std::vector<float> mb_d_log_prob_, mb_d_entropy_;
};

}  // namespace cairn
