// Algorithm: the frame every training algorithm implements (PPO, SAC, TD3, DQN).
//
// An algorithm owns its environments, its policy (a cairn::Policy, saved as a policy
// folder that restores alone) and whatever else it learns (critics, target networks,
// optimisers, a replay buffer). The frame owns what every algorithm shares, so no
// algorithm copies another's plumbing:
//
//   - the counters (iteration, timesteps, episodes, training seconds) and the statistics
//     of the last 100 finished training episodes (EpisodeStatistics);
//   - learn(): calling train() until the stop conditions are met;
//   - evaluate(): episodes of the policy on a fresh environment;
//   - algorithm checkpoints (docs/checkpoint-format.md): save_checkpoint() writes the
//     policy folders, the shared counters and the algorithm's own state tensors
//     (save_state) and a manifest naming the algorithm and its config;
//     restore_algorithm() (algorithm_registry.h) reads the algorithm's name from the
//     manifest, builds it from its config and calls restore_state().
//
// A derived algorithm implements train() (one iteration: collect, update, fill in a
// TrainResult through begin_iteration/finish_iteration), config_json(), and the state
// hooks. The same config, seed and build give bit-identical runs, and a resumed run equals
// an uninterrupted one bit for bit.
//
// Thread safety: not thread-safe; one thread drives an algorithm.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/config_fields.h"
#include "cairn/env/vector_env.h"
#include "cairn/io/safetensors.h"
#include "cairn/policy/policy.h"

namespace cairn {

// Named values of one iteration that belong to one algorithm (PPO's policy_loss, SAC's
// alpha), in the order they were first set. NaN means "not measured this iteration".
class Metrics {
 public:
  // Adds `name` or replaces its value. Allocates when a name is new.
  void set(std::string_view name, double value);
  // Throws cairn::Error naming the metric if it is absent.
  double at(std::string_view name) const;
  bool contains(std::string_view name) const;
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  bool operator==(const Metrics&) const = default;

 private:
  std::vector<std::pair<std::string, double>> items_;
};

// The metrics of one training iteration.
struct TrainResult {
  int64_t iteration = 0;  // 1-based
  int64_t timesteps = 0;  // environment steps so far (all environments)
  int64_t episodes = 0;   // episodes finished so far
  int64_t episodes_this_iter = 0;
  double episode_return_mean = 0;  // over the last 100 finished training episodes (NaN if none)
  double episode_length_mean = 0;
  double learning_rate = 0;  // of the policy's optimiser (SAC, TD3: the actor's)
  // With non_finite = "skip": transitions dropped this iteration for a NaN or infinite
  // reward or observation, and minibatches whose loss or gradient was not finite
  // (their update was skipped).
  int64_t non_finite_transitions_skipped = 0;
  int64_t non_finite_minibatches_skipped = 0;
  double steps_per_second = 0;  // of this iteration, collection and update
  double time_elapsed = 0;      // seconds of train() so far
  Metrics metrics;              // the algorithm's own (losses, entropy, epsilon, ...)

  // The fields above and every metric as a top-level key (NaN as null). A metric whose
  // name is also a field's is a programming error (checked by Metrics users' tests).
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
  // The episodes' returns and lengths with their statistics (population std); every
  // statistic NaN when there are no episodes.
  static EvaluationResult of(std::vector<double> returns, std::vector<int64_t> lengths);
};

// The returns and lengths of the last kEpisodes finished training episodes, as a ring.
// Part of every algorithm checkpoint ("recent_returns", "recent_lengths").
class EpisodeStatistics {
 public:
  static constexpr size_t kEpisodes = 100;
  EpisodeStatistics();
  void add(double episode_return, int64_t length);
  // NaN while no episode has finished.
  double mean_return() const;
  double mean_length() const;
  size_t count() const { return count_; }
  // State: the two rings ("<prefix>recent_returns", "<prefix>recent_lengths") and the ring
  // position (next, count), which the caller keeps.
  void save(TensorDict& out, const std::string& prefix = "") const;
  void restore(const TensorDict& in, int64_t next, int64_t count, const std::string& prefix = "");
  size_t next() const { return next_; }

 private:
  std::vector<double> returns_, lengths_;
  size_t next_ = 0, count_ = 0;
};

class Algorithm {
 public:
  virtual ~Algorithm();
  Algorithm(const Algorithm&) = delete;
  Algorithm& operator=(const Algorithm&) = delete;

  // The registered name: "ppo", "sac", "td3", "dqn".
  const std::string& name() const { return name_; }
  // For messages: "PPO".
  const std::string& label() const { return label_; }

  // One iteration (the algorithm defines what one is: PPO a rollout and its update, the
  // off-policy algorithms a fixed number of environment steps with their updates).
  // Returns its metrics. Throws cairn::Error on non-finite data; the run should then be
  // abandoned (its last checkpoint is intact).
  virtual TrainResult train() = 0;

  // Calls train() until `stop` is met; `on_iteration` (optional) sees every result and
  // may return false to stop. Returns every result. Distributed (docs/distributed.md):
  // every rank's results are the same (the iteration's seconds are rank 0's), so every
  // rank stops at the same iteration; `on_iteration` must decide alike on every rank.
  std::vector<TrainResult> learn(const StopConditions& stop,
                                 const std::function<bool(const TrainResult&)>& on_iteration = {});

  // Runs `episodes` episodes on a fresh environment (episode i reset with seed + i),
  // taking the policy's deterministic action or exploring as it does in training. Does not
  // change the training state. Throws cairn::Error if episodes < 1, or naming the
  // environment, episode and step for a non-finite reward or a refused observation.
  // Multi-policy algorithms evaluate every policy on their multi-agent environment (the
  // returns are the episodes' sums over agents).
  virtual EvaluationResult evaluate(int64_t episodes, bool deterministic = true,
                                    uint64_t seed = 1000000);

  // The config as JSON (every key; the registry's create() rebuilds this algorithm from it).
  virtual nlohmann::json config_json() const = 0;
  const std::string& env_id() const { return env_id_; }
  const nlohmann::json& env_options() const { return env_options_; }

  // The policy that acts (saved as policies/default_policy); of a multi-policy algorithm,
  // its first policy.
  virtual Policy& policy() = 0;
  virtual const Policy& policy() const = 0;
  // The ids of the policies the algorithm holds, in order, each saved as policies/<id>/ in
  // checkpoints: {"default_policy"} unless the algorithm trains several.
  virtual std::vector<std::string> policy_ids() const;
  // The policy `id`. Throws cairn::Error naming the id and listing policy_ids() when it is
  // not one of them.
  virtual Policy& named_policy(const std::string& id);
  const Policy& named_policy(const std::string& id) const {
    return const_cast<Algorithm*>(this)->named_policy(id);
  }

  // --- Checkpoints (docs/checkpoint-format.md) -----------------------------------
  // Writes an algorithm checkpoint folder atomically: cairn_checkpoint.json (algorithm,
  // config, counters, the last result, checksums of every file),
  // algorithm_state.safetensors (the counters, episode statistics and save_state()) and
  // policies/<id>/ for every id of policy_ids() (a self-contained policy folder whose example
  // is policy_example_observations(id)). Refuses to replace an existing non-empty folder unless
  // `overwrite`, and refuses a policy with non-finite weights (naming the tensor). Throws
  // cairn::Error naming the path on failure.
  // Distributed (docs/distributed.md): every rank calls it at the same point, since the
  // environments' states are gathered from every rank; rank 0 writes `dir` and the other
  // ranks write nothing.
  void save_checkpoint(const std::filesystem::path& dir, bool overwrite = false);

  // The result of the last train() (iteration 0 before any).
  const TrainResult& last_result() const { return last_result_; }
  int64_t iteration() const { return iteration_; }
  int64_t timesteps() const { return timesteps_; }
  int64_t episodes() const { return episodes_; }

  // --- For the registry and restore_algorithm() -------------------------------------
  // Restores everything save_state() wrote, after the frame restored its counters. The
  // policy has already been replaced by the checkpoint's (restore_policy()). Throws
  // cairn::Error naming the tensor (TensorDict::expect does).
  virtual void restore_state(const TensorDict& in) = 0;
  // Replaces the policy with one restored from the checkpoint (after checking that it
  // matches the spaces and parameters of the current one). Throws cairn::Error naming
  // `source` on a mismatch.
  virtual void restore_policy(std::unique_ptr<Policy> policy, const std::string& source);
  // The same for the policy `id` (restore_policy() for the one policy of a single-policy
  // algorithm).
  virtual void restore_named_policy(const std::string& id, std::unique_ptr<Policy> policy,
                                    const std::string& source);
  // Restores the frame's counters and episode statistics, then restore_state(), then the
  // environments' state. Refuses any floating-point state tensor holding a NaN or
  // infinity. Used by restore_algorithm(); `last_result` is the manifest's.
  void restore_checkpoint_state(const TensorDict& in, const nlohmann::json& last_result);
  // The training environments, if the algorithm steps a VectorEnv: the frame saves their
  // state ("envs/..." tensors, manifest field "environment_state_saved") when they can
  // save it, and on restore resets environments that cannot (seeded from the seed and the
  // iteration, so their episodes restart).
  virtual VectorEnv* training_environments() { return nullptr; }
  const VectorEnv* training_environments() const {
    return const_cast<Algorithm*>(this)->training_environments();
  }
  // Whether checkpoints hold the environments' state (manifest field
  // "environment_state_saved"): by default, whether training_environments() can save theirs;
  // an algorithm stepping other environments (multi-agent ones) says for itself and saves them
  // in save_state() as "multi_agent_envs/..." tensors.
  virtual bool environment_state_saved() const {
    const VectorEnv* envs = training_environments();
    return envs && envs->can_save_state();
  }
  // Whether the checkpoint's state is the whole training state (false when an option
  // leaves something out, such as the replay buffer: resuming is then not bit-identical,
  // and the manifest and resume say so).
  virtual bool checkpoint_is_complete() const { return true; }

 protected:
  // `name` as registered ("ppo"), `label` for messages ("PPO"); `shared` gives the
  // environment and the seed.
  Algorithm(std::string name, std::string label, const AlgorithmConfig& shared);

  // Everything the algorithm needs to resume bit-identically besides the frame's
  // counters: optimiser moments, generators, critics, buffers, environment states.
  virtual void save_state(TensorDict& out) const = 0;
  // The raw observations recorded as the policy folder's example (e.g. the environments'
  // current observations).
  virtual std::vector<float> example_observations() const = 0;
  // The example of the policy `id` (example_observations() unless there are several).
  virtual std::vector<float> policy_example_observations(const std::string& id) const;

  // Iteration bookkeeping for train(): begin_iteration() starts the clock and returns a
  // result with iteration, counters and learning rate unset; count_steps() adds
  // environment steps; episode_finished() records a training episode; finish_iteration()
  // fills in the counters, episode means, speed and elapsed time, stores it as
  // last_result() and returns it.
  TrainResult begin_iteration();
  void count_steps(int64_t steps) { timesteps_ += steps; }
  void episode_finished(TrainResult& result, double episode_return, int64_t length);
  const TrainResult& finish_iteration(TrainResult& result);
  // "PPO iteration 3" for error messages.
  std::string where() const;
  // For algorithms that do not run distributed: throws cairn::Error saying so when this
  // process is one of several ranks (distributed::world()).
  void require_one_process() const;

 private:
  std::string name_, label_, env_id_;
  nlohmann::json env_options_;
  uint64_t seed_ = 0;
  TrainResult last_result_;
  int64_t iteration_ = 0, timesteps_ = 0, episodes_ = 0;
  double train_seconds_ = 0;
  EpisodeStatistics recent_;
  // Clock of the iteration in progress.
  double iteration_start_ = 0;
  int64_t iteration_start_timesteps_ = 0;
};

}  // namespace cairn
