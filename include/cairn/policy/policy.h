// Policy: everything between a raw observation and an action.
//
//   raw observation --preprocess--> features --model--> head output ("pi", or "q" for
//                    flatten (one-hot for       |        greedy_q), "vf" (value, stochastic
//                    integer spaces), optional   |        head only)
//                    running mean/std            +--> head (policy_head.h) --> action
//                    normalisation with clip         (explore with the caller's Rng, or the
//                                                     deterministic action)
//                                                 --> env action: + space start (integer
//                                                     spaces), clipped to the bounds (Box)
//
// The head (PolicyOptions::head) says how the model's output becomes an action:
//   stochastic         ActionDistribution over "pi"; the deterministic action is the mode
//                      (the argmax of each categorical, or the Gaussian mean). The policy
//                      owns, for Box actions, the state-independent log standard deviation
//                      (`log_std`, a learned parameter outside the model). The unclipped
//                      sample is what PPO's log-probabilities refer to (as in SB3/CleanRL).
//   squashed_gaussian  SAC: "pi" = [means, log-stds]; to_bounds(tanh(u)), u ~ N(mean, std)
//                      when exploring, u = mean otherwise (squashed_gaussian.h).
//   deterministic      TD3/DDPG: to_bounds(tanh(pi)), plus clipped Gaussian noise when
//                      exploring.
//   greedy_q           DQN: argmax of "q" (first on ties), epsilon-greedy when exploring.
// Every Box action handed to the environment is clipped to the action space's bounds
// (for the tanh heads this only undoes the rounding of to_bounds at +-1).
//
// Random draws when exploring, all from the caller's Rng in row-major order, so the
// same seed gives the same actions:
//   stochastic         ActionDistribution::sample
//   squashed_gaussian  batch * action_dim normals (SquashedGaussian::rsample)
//   deterministic      batch * action_dim normals (drawn even when exploration_noise is 0)
//   greedy_q           per row one uniform(); if it is < exploration_epsilon, then one
//                      below(n) for the random action
//
// Memory: a policy whose model has recurrent layers (lstm, gru; nn/recurrent_layers.h)
// carries state_size() floats per episode from one step to the next. The policy holds no
// per-episode state: the caller keeps each episode's state and passes it in and out, so
// one policy serves any number of episodes at once. The entry points without a state
// refuse a recurrent policy; the ones with a state serve feed-forward policies too (with
// empty states).
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

#include "cairn/env/env.h"
#include "cairn/nn/model.h"
#include "cairn/policy/distribution.h"
#include "cairn/policy/policy_head.h"
#include "cairn/policy/running_mean_std.h"
#include "cairn/policy/squashed_gaussian.h"
#include "cairn/space/space.h"

namespace cairn {

struct PolicyRestoreOptions;  // policy_checkpoint.h
struct PolicyRestoreReport;

struct PolicyOptions {
  bool normalize_observations = false;  // Box observation spaces only
  float observation_clip = 10.0f;
  double normalization_epsilon = 1e-8;
  double log_std_init = 0.0;  // stochastic head, Box action spaces
  PolicyHead head = PolicyHead::kStochastic;
  // deterministic head: the exploration noise's std as a fraction of the half range
  // (high - low) / 2 of each action element; finite and >= 0.
  double exploration_noise = 0.1;
  // greedy_q head: the probability of a uniformly random action when exploring; in [0, 1].
  double exploration_epsilon = 0.05;

  // Every field, "head" as to_string(head).
  nlohmann::json to_json() const;
  // Throws cairn::Error naming the field. Missing keys keep their defaults, so options
  // written before heads existed (no "head") read as the stochastic head.
  static PolicyOptions from_json(const nlohmann::json& j);
  bool operator==(const PolicyOptions&) const = default;
};

class Policy {
 public:
  // Names of the model outputs the policy reads.
  static constexpr const char* kPolicyOutput = "pi";
  static constexpr const char* kValueOutput = "vf";
  static constexpr const char* kQOutput = "q";  // greedy_q: one Q-value per action

  // Throws cairn::Error if the model's input size differs from the flattened
  // observation size, normalisation is asked for a non-Box observation space, the
  // options are out of range, or the spaces and model do not fit the head:
  //   stochastic         "pi" with distribution().num_inputs() columns, "vf" with 1
  //   squashed_gaussian  Box action space with finite bounds, low < high; "pi" with
  //                      2 * action_size() columns
  //   deterministic      as squashed_gaussian, "pi" with action_size() columns
  //   greedy_q           Discrete action space; "q" with n columns
  // (other outputs are allowed and ignored). The model's parameters start as
  // ModelSpec's initialisers give them for `seed`.
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
  PolicyHead head() const { return options_.head; }
  // The action space's ActionDistribution. The stochastic head acts with it; the other
  // heads do not (it is kept so code that describes a policy keeps working).
  const ActionDistribution<float>& distribution() const { return distribution_; }
  // The model output the head reads: "pi", or "q" for greedy_q; and its column count.
  const char* head_output_name() const;
  size_t head_output_size() const;
  // Whether the model has a value output the policy reads (the stochastic head only).
  bool has_value() const { return has_value_; }
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
  // into the policy's buffer, valid until the next call: explore = true explores as
  // the head does (drawing from `rng`, see above), false takes the deterministic
  // action (nothing drawn). Throws cairn::Error on a wrong observation length.
  ActionRef compute_action(std::span<const float> observation, bool explore, Rng& rng);
  ActionRef compute_action(std::span<const float> observation);  // deterministic

  // Actions for a batch of raw observations (row-major [batch x observation_size()]):
  // env actions into `int_actions` (integer action spaces) or `float_actions` (Box),
  // each [batch x action_size()]; the other span is left empty.
  void compute_actions(std::span<const float> observations, bool explore, Rng& rng,
                       std::span<int64_t> int_actions, std::span<float> float_actions);

  // --- Acting with memory --------------------------------------------------------
  // Values of state per episode (0: feed-forward), and where each recurrent layer's part
  // sits in them (the layer's name, e.g. "core/lstm_0", and for an LSTM h before c).
  size_t state_size() const { return static_cast<size_t>(model_.state_size()); }
  bool is_recurrent() const { return state_size() > 0; }
  const std::vector<nn::StateSlice>& state_layout() const { return model_.state_layout(); }
  // The state at the start of an episode (zeros), for `batch` episodes. Allocates.
  std::vector<float> initial_state(size_t batch = 1) const;
  // One step of `batch` episodes. state_in is [batch x state_size()]: each episode's state
  // before this step; episode_starts (one flag per row, or empty for none) marks rows whose
  // episode starts with this observation: their state is reset to the initial state first.
  // Each episode's state after the step is written to state_out (same size; may be the same
  // memory as state_in). Actions, exploration and draws as compute_actions above; a row's
  // action and state depend on its own observation and state only. Throws cairn::Error on
  // wrong sizes (naming which).
  void compute_actions(std::span<const float> observations, std::span<const float> state_in,
                       std::span<const uint8_t> episode_starts, std::span<float> state_out,
                       bool explore, Rng& rng, std::span<int64_t> int_actions,
                       std::span<float> float_actions);
  // One step of one episode: as above with a batch of one.
  ActionRef compute_action(std::span<const float> observation, std::span<const float> state_in,
                           bool episode_start, std::span<float> state_out, bool explore, Rng& rng);
  ActionRef compute_action(std::span<const float> observation, std::span<const float> state_in,
                           bool episode_start, std::span<float> state_out);  // deterministic

  // Exploration parameters, e.g. for DQN's epsilon schedule. Throw cairn::Error when
  // out of range (epsilon in [0, 1]; noise finite and >= 0); any head may hold them.
  void set_exploration_epsilon(double epsilon);
  void set_exploration_noise(double noise);

  // The value estimate V(s) of one raw observation / of a batch. Throw cairn::Error
  // when the head has no value output (has_value() is false).
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
  // Throws cairn::Error for a recurrent policy (it needs the overload below).
  void forward(std::span<const float> features);
  // Runs the model over sequences of features (rows time-major, as nn::Model::forward with
  // a SequenceInput); the state after the last step is model().state_out().
  void forward(std::span<const float> features, const nn::SequenceInput<float>& sequence);
  // The head's raw output (head_output_name(): "pi" or "q") of the last forward.
  nn::MatrixSpan<const float> distribution_inputs() const;
  // "vf" of the last forward. Throws cairn::Error when has_value() is false.
  nn::MatrixSpan<const float> value_outputs() const;
  // Converts distribution samples/modes (or the heads' actions) into env actions: adds
  // the integer spaces' start; clips Box actions to the bounds.
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
  void act_squashed(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                    std::span<float> raw);
  void act_deterministic(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                         std::span<float> raw);
  void act_greedy(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                  std::span<int64_t> indices) const;
  size_t batch_of(std::span<const float> observations, const char* what) const;
  void check_feedforward(const char* what) const;
  void act(size_t batch, bool explore, Rng& rng, std::span<int64_t> int_actions,
           std::span<float> float_actions);
  void grow(size_t batch);

  Space observation_space_, action_space_;
  PolicyOptions options_;
  ActionDistribution<float> distribution_;
  size_t feature_size_ = 0;
  size_t activation_values_ = 0;  // per batch row (nn::activation_count)
  nn::Model<float> model_;
  size_t pi_output_ = 0, vf_output_ = 0;  // pi_output_: the head's output ("pi" or "q")
  bool has_value_ = false;
  std::optional<SquashedGaussian<float>> squash_;  // squashed_gaussian, deterministic
  std::vector<float> log_std_;
  std::optional<RunningMeanStd> obs_stats_;
  // Handed to compute_actions for the deterministic mode, which draws nothing from it.
  Rng unused_rng_{0};

  // Scratch, sized for `capacity_` rows.
  size_t capacity_ = 0;
  std::vector<float> features_, raw_actions_;
  std::vector<float> means_, log_stds_, squashed_, eps_, log_probs_;  // tanh heads
  std::vector<int64_t> indices_;
  std::vector<int64_t> action_ints_;
  std::vector<float> action_floats_;
};

}  // namespace cairn
