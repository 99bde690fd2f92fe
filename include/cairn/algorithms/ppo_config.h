// PPOConfig: every setting of a PPO run, with defaults, a JSON form and
// validation.
//
// The defaults are CleanRL's ppo.py defaults for classic control (Schulman et
// al. 2017, with the implementation details of Huang et al. 2022). Tuned
// presets for the built-in tasks come from ppo_preset(); configs/ holds them as
// JSON files.
//
// JSON form: an object with the field names below. from_json() refuses unknown
// keys and out-of-range values with a cairn::Error naming the key; missing keys
// keep their defaults. to_json() writes every field, so a saved config restores
// exactly (from_json(to_json(c)) == c).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/config_fields.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {

// The shared fields (env_id, env_options, num_envs, num_env_threads, total_timesteps,
// activation, hidden_sizes, normalize_observations, observation_clip, seed, non_finite)
// are AlgorithmConfig's, with its defaults.
struct PPOConfig : AlgorithmConfig {
  // Rollouts and updates
  int64_t num_steps = 128;  // steps per environment per iteration
  int64_t num_epochs = 4;
  int64_t num_minibatches = 4;
  double gamma = 0.99;
  double gae_lambda = 0.95;
  // Loss
  double clip_coef = 0.2;        // epsilon of the clipped surrogate
  bool clip_value_loss = true;   // clip V around the old values as well
  double value_clip_coef = 0.2;  // clipping range of the value function
  double ent_coef = 0.0;
  double vf_coef = 0.5;
  bool normalize_advantages = true;
  std::optional<double> target_kl;  // stop the epochs early when approx KL exceeds it
  // Optimisation
  double learning_rate = 2.5e-4;
  bool anneal_lr = true;  // linear decay to 0 over total_timesteps
  double adam_eps = 1e-5;
  double max_grad_norm = 0.5;
  // Policy
  nlohmann::json model = "default";  // "default" (hidden_sizes, activation) or a model spec
  // Memory (docs/recurrent.md): null, or {"cell": "lstm"|"gru", "units": n, "encoder": [sizes],
  // "shared": bool} to wrap the model with a recurrent core (nn::with_memory; every key
  // optional, MemoryOptions' defaults). A model with recurrent layers (this, or lstm/gru
  // layers in "model") is trained on sequences of max_seq_len steps (truncated
  // backpropagation through time; the state at each sequence's start is the one the rollout
  // carried), and its minibatches are whole sequences: max_seq_len must divide num_steps, and
  // num_minibatches the number of sequences num_envs * num_steps / max_seq_len.
  nlohmann::json memory = nullptr;
  int64_t max_seq_len = 16;
  double log_std_init = 0.0;  // Gaussian policies
  // Training rewards divided by the running std of the discounted return, then clipped
  // (Stable-Baselines3's VecNormalize). Affects learning only, never the policy.
  bool normalize_rewards = false;
  double reward_clip = 10.0;
  // Valid once validate() passed (the product is then bounded by kMaxBatchSize).
  int64_t batch_size() const { return num_envs * num_steps; }
  int64_t minibatch_size() const { return batch_size() / num_minibatches; }
  // The memory option as nn::MemoryOptions (throws cairn::Error naming the key); nullopt
  // when "memory" is null.
  std::optional<nn::MemoryOptions> memory_options() const;

  // Throws cairn::Error naming the first invalid field, including sizes beyond the
  // limits above (the model's parameter count included, for the default model and for
  // a model spec; the memory estimate that needs the environment's spaces is PPO's).
  void validate() const;
  nlohmann::json to_json() const;
  // Starts from the defaults and applies the keys of `j`.
  static PPOConfig from_json(const nlohmann::json& j);
  // Starts from `base` and applies the keys of `j`.
  static PPOConfig from_json(const nlohmann::json& j, const PPOConfig& base);
  // Applies one override "key=value", where value is JSON (a bare word is taken
  // as a string). Throws cairn::Error naming the key.
  void set(const std::string& assignment);

  bool operator==(const PPOConfig&) const = default;
};

// The sequence split of a recurrent model's rollout (see "memory"): throws cairn::Error
// unless max_seq_len divides num_steps and num_minibatches the number of sequences.
void check_sequences(const PPOConfig& config);

// The tuned configuration of a task with a PPO preset (built in: CartPole-v1, Acrobot-v1,
// Pendulum-v1; environments' authors register more, presets.h), else with env_id set a
// config for a short first run: preset_config("ppo", env_id).
PPOConfig ppo_preset(const std::string& env_id);
// True if ppo_preset(env_id) is a tuned preset.
bool has_ppo_preset(const std::string& env_id);
// The built-in tuned presets by environment id (full configs), for the registry.
std::map<std::string, nlohmann::json> ppo_builtin_presets();

}  // namespace cairn
