// DQNConfig: every setting of a DQN run, with defaults, a JSON form and validation.
//
// The defaults are Stable-Baselines3's DQN defaults (Mnih et al. 2015 as SB3 implements
// it: Huber loss, Adam, gradient clipping at norm 10, hard target updates), with double
// Q-learning on (van Hasselt et al. 2016) and a 64x64 ReLU network. Tuned presets for
// CartPole-v1, Acrobot-v1 and MountainCar-v0 come from dqn_preset() (rl-baselines3-zoo's
// dqn.yml, docs/off-policy.md says what each reaches).
//
// Counting: one iteration is steps_per_iteration environment steps (transitions) across
// num_envs environments, i.e. steps_per_iteration / num_envs vector steps. train_freq
// counts vector steps (as SB3's train_freq with n_envs); target_update_interval and
// learning_starts count environment steps (SB3 converts the interval to vector steps as
// max(target_update_interval / num_envs, 1); so does DQN).
//
// JSON form: an object with the field names below (those of AlgorithmConfig and
// ReplayConfig included). from_json() refuses unknown keys and out-of-range values with a
// cairn::Error naming the key ("DQN config: 'tau' must be in (0, 1], got 2"); missing keys keep
// their defaults; to_json() writes every field, so from_json(to_json(c)) == c.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/off_policy_config.h"

namespace cairn {

struct DQNConfig : ReplayConfig {
  // SB3's DQN defaults besides ReplayConfig's (learning_starts 100, batch_size 32,
  // train_freq 4, one environment, ReLU networks).
  DQNConfig();

  // The replay, schedule and Adam keys are ReplayConfig's (off_policy_config.h);
  // gradient_steps may be -1: train_freq * num_envs updates per phase.
  double learning_rate = 1e-4;
  double max_grad_norm = 10.0;
  bool double_q = true;  // van Hasselt et al. 2016: online argmax, target evaluation
  bool dueling = false;  // Wang et al. 2016: Q = V + A - mean(A) (the "dueling_q" layer)
  // Target network: every target_update_interval environment steps,
  // target <- tau * online + (1 - tau) * target (tau = 1: a hard copy).
  int64_t target_update_interval = 10000;
  double tau = 1.0;
  // Exploration: epsilon falls linearly from initial to final over the first
  // exploration_fraction of total_timesteps, then stays at final.
  double exploration_initial_eps = 1.0;
  double exploration_final_eps = 0.05;
  double exploration_fraction = 0.1;

  // Updates per update phase (gradient_steps, or train_freq * num_envs for -1).
  int64_t updates_per_phase() const {
    return gradient_steps < 0 ? train_freq * num_envs : gradient_steps;
  }
  // The exploration rate after `timesteps` environment steps (SB3's get_linear_fn).
  double epsilon(int64_t timesteps) const;

  // Throws cairn::Error naming the first invalid field, including steps_per_iteration
  // not divisible by num_envs and sizes beyond the limits of config_fields.h.
  void validate() const;
  nlohmann::json to_json() const;
  static DQNConfig from_json(const nlohmann::json& j);
  static DQNConfig from_json(const nlohmann::json& j, const DQNConfig& base);
  // Applies one override "key=value" (value is JSON; a bare word is a string).
  void set(const std::string& assignment);

  bool operator==(const DQNConfig&) const = default;
};

// The tuned configuration for CartPole-v1, Acrobot-v1 and MountainCar-v0, else (env_id
// set) a config for a short first run on a user's environment.
DQNConfig dqn_preset(const std::string& env_id);
bool has_dqn_preset(const std::string& env_id);
// The config for a first run on `env_id` without a tuned preset (also what dqn_preset()
// gives for such an environment).
DQNConfig dqn_untuned_config(const std::string& env_id);

}  // namespace cairn
