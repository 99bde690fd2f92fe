// Policy: everything between a raw observation and an action.
//
//   raw observation --preprocess--> features --model--> "pi" (distribution inputs), "vf" (value)
//                    flatten (one-hot for       |
//                    integer spaces), optional   +--> ActionDistribution --> action
//                    running mean/std             (sample when exploring, mode otherwise)
//                    normalisation with clip      --> env action: + space start (integer
//                                                     spaces), clipped to the bounds (Box)
//
// The policy owns the observation statistics, the model and, for Box actions, the
// state-independent log standard deviation (`log_std`, a learned parameter outside
// the model). Box actions handed to the environment are clipped to the action
// space's bounds; the unclipped sample is what PPO's log-probabilities refer to
// (as in Stable-Baselines3 and CleanRL). The deterministic action is the mode: the
// argmax of each categorical, or the Gaussian mean clipped to the bounds.
//
// Non-finite input: every entry point that takes raw observations (compute_action,
// compute_actions, value, values, preprocess) refuses a NaN or infinite Box observation
// element with a cairn::Error naming the observation row and element, since the
// network would turn it into a silent NaN or arbitrary action.
//
// Allocation: buffers grow to the largest batch seen (or reserve()); calls at or
// below that batch size do not allocate. Thread safety: not safe for concurrent
// use (inference writes internal buffers); copies are independent.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/policy/distribution.h"
#include "cairn/env/env.h"
#include "cairn/nn/model.h"
#include "cairn/policy/running_mean_std.h"
#include "cairn/space/space.h"

namespace cairn {

struct PolicyRestoreOptions;  // policy_checkpoint.h
struct PolicyRestoreReport;

struct PolicyOptions {
  bool normalize_observations = false;  // Box observation spaces only
  float observation_clip = 10.0f;
  double normalization_epsilon = 1e-8;
  double log_std_init = 0.0;  // Box action spaces

  nlohmann::json to_json() const;
  // Throws cairn::Error naming the field.
  static PolicyOptions from_json(const nlohmann::json& j);
  bool operator==(const PolicyOptions&) const = default;
};

class Policy {
 public:
  // Names of the model outputs the policy reads.
  static constexpr const char* kPolicyOutput = "pi";
  static constexpr const char* kValueOutput = "vf";

  // Throws cairn::Error if the model's input size differs from the flattened
  // observation size, it lacks a "pi" output with distribution_inputs() columns or a
  // "vf" output with one column, or normalisation is asked for a non-Box observation
  // space. The model's parameters start as ModelSpec's initialisers give them for `seed`.
  Policy(Space observation_space, Space action_space, const nn::ModelSpec& spec,
         const PolicyOptions& options = {}, uint64_t seed = 0);

  // Restores a policy saved as a policy folder, or from an algorithm checkpoint or a run
  // folder (its latest checkpoint); see load_policy() in policy_checkpoint.h.
  static std::unique_ptr<Policy> from_checkpoint(const std::filesystem::path& path);
  static std::unique_ptr<Policy> from_checkpoint(const std::filesystem::path& path,
                                                 const PolicyRestoreOptions& options,
                                                 PolicyRestoreReport* report = nullptr);
  // Saves this policy as a standalone policy folder; see save_policy().
  void save(const std::filesystem::path& dir, bool overwrite = false);

  const Space& observation_space() const { return observation_space_; }
  const Space& action_space() const { return action_space_; }
  const PolicyOptions& options() const { return options_; }
  const ActionDistribution<float>& distribution() const { return distribution_; }
  size_t feature_size() const { return feature_size_; }
  size_t observation_size() const { return observation_space_.size(); }
  size_t action_size() const { return action_space_.size(); }

  nn::Model<float>& model() { return model_; }
  const nn::Model<float>& model() const { return model_; }
  // The learned log standard deviations (Box actions; empty otherwise).
  std::span<float> log_std() { return log_std_; }
  std::span<const float> log_std() const { return log_std_; }
  // The observation statistics (nullptr unless normalize_observations).
  RunningMeanStd* observation_statistics() { return obs_stats_ ? &*obs_stats_ : nullptr; }
  const RunningMeanStd* observation_statistics() const {
    return obs_stats_ ? &*obs_stats_ : nullptr;
  }

  // --- Acting ------------------------------------------------------------------
  // The action for one raw observation (observation_size() values), as an ActionRef
  // into the policy's buffer, valid until the next call: explore = true samples
  // from the distribution with `rng`, false takes the mode. Throws cairn::Error on a
  // wrong observation length.
  ActionRef compute_action(std::span<const float> observation, bool explore, Rng& rng);
  ActionRef compute_action(std::span<const float> observation);  // deterministic

  // Actions for a batch of raw observations (row-major [batch x observation_size()]):
  // env actions into `int_actions` (integer action spaces) or `float_actions` (Box),
  // each [batch x action_size()]; the other span is left empty.
  void compute_actions(std::span<const float> observations, bool explore, Rng& rng,
                       std::span<int64_t> int_actions, std::span<float> float_actions);

  // The value estimate V(s) of one raw observation / of a batch.
  float value(std::span<const float> observation);
  void values(std::span<const float> observations, std::span<float> out);

  // --- Lower level (used by PPO, checkpoints and exporters) ---------------------
  // Flattens and (if enabled) normalises raw observations into features
  // [batch x feature_size()]. Does not update the statistics. Throws cairn::Error on a
  // non-finite Box observation element or an integer observation outside its space.
  void preprocess(std::span<const float> observations, std::span<float> features) const;
  // Folds raw observations into the running statistics (no-op without normalisation).
  void update_observation_statistics(std::span<const float> observations);
  // Runs the model on features; the outputs stay readable until the next forward.
  void forward(std::span<const float> features);
  nn::MatrixSpan<const float> distribution_inputs() const;  // "pi" of the last forward
  nn::MatrixSpan<const float> value_outputs() const;        // "vf" of the last forward
  // Converts distribution samples/modes into env actions: adds the integer spaces'
  // start; clips Box actions to the bounds.
  void to_env_actions(std::span<const int64_t> indices, std::span<const float> raw,
                      std::span<int64_t> int_actions, std::span<float> float_actions) const;

  // Sizes every buffer for batches up to `batch`. Throws cairn::Error if the model's
  // activations for that batch would exceed nn::memory_budget_bytes().
  void reserve(size_t batch);

  // "" if every weight (model parameters, log_std, observation statistics) is finite;
  // otherwise names the first tensor holding a NaN or infinity and the element, as
  // "tensor 'pi/dense_0/kernel' element 3 is nan". Checkpoint writers refuse such a
  // policy, and restoring refuses such weights.
  std::string non_finite_weights() const;

 private:
  size_t batch_of(std::span<const float> observations, const char* what) const;
  void grow(size_t batch);

  Space observation_space_, action_space_;
  PolicyOptions options_;
  ActionDistribution<float> distribution_;
  size_t feature_size_ = 0;
  size_t activation_values_ = 0;  // per batch row (nn::activation_count)
  nn::Model<float> model_;
  size_t pi_output_ = 0, vf_output_ = 0;
  std::vector<float> log_std_;
  std::optional<RunningMeanStd> obs_stats_;
  // Handed to compute_actions for the deterministic mode, which draws nothing from it.
  Rng unused_rng_{0};

  // Scratch, sized for `capacity_` rows.
  size_t capacity_ = 0;
  std::vector<float> features_, raw_actions_;
  std::vector<int64_t> indices_;
  std::vector<int64_t> action_ints_;
  std::vector<float> action_floats_;
};

}  // namespace cairn
