// TD3Config: every setting of a TD3 run (Fujimoto et al. 2018, "Addressing Function
// Approximation Error in Actor-Critic Methods"), with defaults, a JSON form and
// validation.
//
// The defaults are CleanRL's td3_continuous_action.py (256 x 256 relu, batch 256,
// tau 0.005, rates 3e-4, policy_delay 2, target smoothing noise 0.2 clipped at 0.5,
// exploration noise 0.1) except learning_starts (5000) and the iteration length. Noise
// scales are fractions of the half-range (high - low) / 2 of the Box, i.e. of the
// squashed action in [-1, 1]. Tuned presets: td3_presets() (docs/off-policy.md).
//
// JSON form: as SACConfig (sac_config.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/off_policy_config.h"

namespace cairn {

struct TD3Config : OffPolicyConfig {
  TD3Config() { critic_learning_rate = 3e-4; }
  int64_t policy_delay = 2;   // critic updates per actor and target update
  double policy_noise = 0.2;  // target policy smoothing noise std
  double noise_clip = 0.5;    // ... clipped to +-noise_clip
  // Exploration: "gaussian" adds independent N(0, exploration_noise^2) each step (the
  // policy head's); "ornstein_uhlenbeck" adds an Ornstein-Uhlenbeck process of sigma
  // exploration_noise, theta 0.15, dt 0.01 per environment, restarted at episode ends
  // (ornstein_uhlenbeck_noise.h; what MountainCarContinuous needs). Either way the scale
  // is a fraction of the half range and a restored policy folder explores Gaussian.
  double exploration_noise = 0.1;
  std::string exploration_noise_type = "gaussian";

  // Throws cairn::Error naming the first invalid field.
  void validate() const;
  nlohmann::json to_json() const;
  static TD3Config from_json(const nlohmann::json& j);
  static TD3Config from_json(const nlohmann::json& j, const TD3Config& base);
  void set(const std::string& assignment);

  bool operator==(const TD3Config&) const = default;
};

const std::vector<std::pair<std::string, nlohmann::json>>& td3_presets();
TD3Config td3_untuned_config(const std::string& env_id);

}  // namespace cairn
