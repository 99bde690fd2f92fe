#include "cairn/algorithms/sac_config.h"

#include "cairn/error.h"

namespace cairn {
namespace {

using json = nlohmann::json;

const ConfigFields<SACConfig>& fields() {
  using C = SACConfig;
  static const ConfigFields<C> table = [] {
    ConfigFields<C> t("SAC config");
    off_policy_config::add_fields(t);
    t.boolean("autotune", &C::autotune)
        .number("alpha", &C::alpha, 0.0, 1e9)
        .number("initial_alpha", &C::initial_alpha, 0.0, 1e9, true)
        .number("alpha_learning_rate", &C::alpha_learning_rate, 0.0, 1.0, true)
        .integer("target_update_interval", &C::target_update_interval, 1);
    t.custom(
        "target_entropy",
        [](C& c, const json& v) {
          if (v.is_null()) {
            c.target_entropy.reset();
            return;
          }
          if (!v.is_number() || !std::isfinite(v.get<double>()))
            ConfigFields<C>::bad("SAC config", "target_entropy",
                                 "must be a finite number or null (-action_dim)", v);
          c.target_entropy = v.get<double>();
        },
        [](const C& c) { return c.target_entropy ? json(*c.target_entropy) : json(); });
    return t;
  }();
  return table;
}

}  // namespace

void SACConfig::validate() const {
  from_json(to_json());
  // Actor and two critics (their targets are copies).
  replay_config::validate("SAC config", *this, 3);
}

json SACConfig::to_json() const {
  return fields().write(*this);
}
SACConfig SACConfig::from_json(const json& j) {
  return from_json(j, SACConfig());
}
SACConfig SACConfig::from_json(const json& j, const SACConfig& base) {
  return fields().read(j, base);
}
void SACConfig::set(const std::string& assignment) {
  fields().set(*this, assignment);
}

// docs/off-policy.md has the figures (Pendulum: 5 seeds; MuJoCo: seed 1, 100k steps).
const std::vector<std::pair<std::string, json>>& sac_presets() {
  static const std::vector<std::pair<std::string, json>> presets = {
      // RLtools' SAC configuration for Pendulum (64 x 64 relu, batch 100, 100 warm-up
      // steps, initial alpha 0.5, Adam 1e-3): about -150 after 10k steps.
      {"Pendulum-v1",
       {{"hidden_sizes", {64, 64}},
        {"batch_size", 100},
        {"learning_starts", 100},
        {"buffer_size", 20000},
        {"initial_alpha", 0.5},
        {"actor_learning_rate", 1e-3},
        {"critic_learning_rate", 1e-3},
        {"alpha_learning_rate", 1e-3},
        {"total_timesteps", 20000}}},
      // MuJoCo locomotion: CleanRL's sac_continuous_action.py settings, which are cairn's SAC
      // defaults (256 x 256 relu, batch 256, actor 3e-4, critics and alpha 1e-3, tau 0.005, a 1M
      // buffer), with its 5000 uniform warm-up steps, for 1M steps. docs/off-policy.md has seed 1's
      // returns after 50k and 100k steps.
      {"HalfCheetah-v5", {{"learning_starts", 5000}, {"total_timesteps", 1000000}}},
      {"Hopper-v5", {{"learning_starts", 5000}, {"total_timesteps", 1000000}}},
      {"Walker2d-v5", {{"learning_starts", 5000}, {"total_timesteps", 1000000}}},
      {"Ant-v5", {{"learning_starts", 5000}, {"total_timesteps", 1000000}}},
  };
  return presets;
}

SACConfig sac_untuned_config(const std::string& env_id) {
  SACConfig c;
  c.env_id = env_id;
  c.learning_starts = 1000;
  return c;
}

}  // namespace cairn
