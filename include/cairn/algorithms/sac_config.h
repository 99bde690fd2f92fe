// SACConfig: every setting of a SAC run (Haarnoja et al. 2018, "Soft Actor-Critic
// Algorithms and Applications"), with defaults, a JSON form and validation.
//
// The defaults are CleanRL's sac_continuous_action.py (networks of 256 x 256 relu,
// batch 256, tau 0.005, actor rate 3e-4, critic and temperature rate 1e-3, automatic
// entropy tuning towards -action_dim) except learning_starts (5000) and the iteration
// length. Tuned presets: sac_presets() (docs/off-policy.md).
//
// JSON form: the keys of OffPolicyConfig and those below. from_json() refuses unknown
// keys and out-of-range values with a cairn::Error naming the key; missing keys keep
// their defaults; to_json() writes every key (from_json(to_json(c)) == c).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/off_policy_config.h"

namespace cairn {

struct SACConfig : OffPolicyConfig {
  // Temperature alpha of the entropy bonus. With autotune it starts at initial_alpha and
  // is learned so that the policy's entropy approaches target_entropy (null: -action_dim,
  // the paper's heuristic); without autotune it stays at `alpha`.
  bool autotune = true;
  double alpha = 0.2;
  double initial_alpha = 1.0;
  std::optional<double> target_entropy;
  double alpha_learning_rate = 1e-3;
  int64_t target_update_interval = 1;  // gradient steps between Polyak updates

  // Throws cairn::Error naming the first invalid field.
  void validate() const;
  nlohmann::json to_json() const;
  static SACConfig from_json(const nlohmann::json& j);
  static SACConfig from_json(const nlohmann::json& j, const SACConfig& base);
  // Applies one override "key=value". Throws cairn::Error naming the key.
  void set(const std::string& assignment);

  bool operator==(const SACConfig&) const = default;
};

// The tuned presets: (env_id, the keys applied over the defaults), for the registry.
const std::vector<std::pair<std::string, nlohmann::json>>& sac_presets();
// The config of a first run on an environment without a preset.
SACConfig sac_untuned_config(const std::string& env_id);

}  // namespace cairn
