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
// Distributed (docs/distributed.md): a PPO built in a process started by mpirun as one of
// N ranks (distributed::world()) steps its share of the environments and splits each
// minibatch's gradient with the other ranks by blocks of samples
// (distributed/block_gradients.h); every rank holds the same weights, the same bits as one
// process with the same config. The constructor refuses ranks whose configs or builds
// differ; train() and save_checkpoint() are collective.
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

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/ppo_config.h"
#include "cairn/algorithms/ppo_learner.h"
#include "cairn/algorithms/reward_scaling.h"
#include "cairn/algorithms/rollout_memory.h"
#include "cairn/distributed/row_gather.h"
#include "cairn/env/vector_env.h"
#include "cairn/policy/policy.h"
#include "cairn/storage/rollout_buffer.h"

namespace cairn {

// PPO in the registry: "ppo", its config, presets (CartPole-v1, Acrobot-v1, Pendulum-v1)
// and checkpoint checks.
AlgorithmInfo ppo_algorithm_info();

// The model a PPO config builds for these spaces: config.model, or the default actor-critic
// of hidden_sizes and activation, wrapped with config.memory when set. Throws cairn::Error
// naming the key.
nn::ModelSpec ppo_model_spec(const PPOConfig& config, const Space& observation_space,
                             const Space& action_space);
// The policy options of a PPO config (observation normalisation, log-std initialisation).
PolicyOptions ppo_policy_options(const PPOConfig& config);

// Metrics (TrainResult::metrics), in this order: policy_loss, value_loss, entropy,
// approx_kl (E[(ratio - 1) - log ratio]), clip_fraction (|ratio - 1| > clip_coef), all
// means over the minibatches of the last epoch run; explained_variance (1 - Var[R - V] /
// Var[R] over the batch); stopped_early_kl (1 if the KL target ended the epochs early).
class PPO : public Algorithm {
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
  TrainResult train() override;

  // --- Checkpoints: Algorithm::save_checkpoint writes them; these read them as PPO.
  // Restores an algorithm from a checkpoint folder (or a run folder's latest) to continue
  // training: on the same build and machine, bit-identical to a run that never stopped.
  // The environment id must be registered. Environments that do not expose their state
  // are reset instead (seeded from the seed and the iteration), so their episodes restart.
  // Throws cairn::Error naming the file and the problem, including a config whose sizes
  // are out of range and any state tensor holding a NaN or infinity.
  // restore_algorithm() for a PPO checkpoint; throws cairn::Error naming the file if the
  // checkpoint holds another algorithm.
  static std::unique_ptr<PPO> from_checkpoint(const std::filesystem::path& path);
  // Verifies an algorithm checkpoint without restoring it (no environment is built): its
  // manifest, file list and checksums, config, policy list, counters and algorithm state,
  // with the same checks from_checkpoint makes. Returns the manifest
  // (cairn_checkpoint.json), its fields checked. Throws cairn::Error naming the file and
  // the problem.
  static nlohmann::json verify_checkpoint(const std::filesystem::path& path);

  const PPOConfig& config() const { return config_; }
  nlohmann::json config_json() const override { return config_.to_json(); }
  Policy& policy() override { return *policy_; }
  const Policy& policy() const override { return *policy_; }

  void restore_state(const TensorDict& in) override;
  void restore_policy(std::unique_ptr<Policy> policy, const std::string& source) override;
  VectorEnv* training_environments() override { return envs_.get(); }

 protected:
  void save_state(TensorDict& out) const override;
  std::vector<float> example_observations() const override;

 private:
  void collect_rollouts(TrainResult& result);
  std::span<const float> act(std::span<const float> features, std::span<float> values);
  void update(TrainResult& result);
  void check_memory(const nn::ModelSpec& spec) const;
  template <typename Action>
  void step_envs(std::span<const Action> actions, size_t t);

  PPOConfig config_;
  std::unique_ptr<VectorEnv> envs_;
  std::unique_ptr<Policy> policy_;
  Rng action_rng_, shuffle_rng_;
  std::unique_ptr<RewardScaling> reward_scaling_;  // normalize_rewards

  // Rollout storage (time-major).
  size_t num_envs_ = 0, num_steps_ = 0, batch_ = 0, feature_size_ = 0, action_dim_ = 0;
  std::unique_ptr<RolloutBuffer> rollout_;
  // Per-environment scratch of collection.
  std::vector<int64_t> env_int_actions_;
  std::vector<float> env_float_actions_;
  std::vector<float> next_values_;
  std::vector<float> final_features_;  // for bootstrapping truncated episodes
  std::vector<size_t> truncated_envs_;

  // A recurrent policy's memory through the rollouts (null for a feed-forward policy).
  std::unique_ptr<RolloutMemory> memory_;

  // The update (optimisers and their scratch), and the samples it draws minibatches from:
  // every row, or every whole sequence of a recurrent policy.
  std::unique_ptr<PPOLearner> learner_;
  std::vector<size_t> all_units_;

  // Distributed: each rank runs the policy on its own environments during the rollout; the
  // rows (distribution inputs and value) are gathered into acting_inputs_ and the values.
  std::unique_ptr<distributed::RowGather> acting_rows_;
  std::vector<float> acting_inputs_;
};

}  // namespace cairn
