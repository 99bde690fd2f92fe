#include "cairn/algorithms/td3_config.h"

#include "cairn/error.h"

namespace cairn {
namespace {

using json = nlohmann::json;

const ConfigFields<TD3Config>& fields() {
  using C = TD3Config;
  static const ConfigFields<C> table = [] {
    ConfigFields<C> t("TD3 config");
    off_policy_config::add_fields(t);
    t.integer("policy_delay", &C::policy_delay, 1)
        .number("policy_noise", &C::policy_noise, 0.0, 1e9)
        .number("noise_clip", &C::noise_clip, 0.0, 1e9)
        .number("exploration_noise", &C::exploration_noise, 0.0, 1e9)
        .choice("exploration_noise_type", &C::exploration_noise_type,
                {"gaussian", "ornstein_uhlenbeck"});
    return t;
  }();
  return table;
}

}  // namespace

void TD3Config::validate() const {
  from_json(to_json());
  // Actor, two critics and their targets' copies.
  replay_config::validate("TD3 config", *this, 3);
}

json TD3Config::to_json() const {
  return fields().write(*this);
}
TD3Config TD3Config::from_json(const json& j) {
  return from_json(j, TD3Config());
}
TD3Config TD3Config::from_json(const json& j, const TD3Config& base) {
  return fields().read(j, base);
}
void TD3Config::set(const std::string& assignment) {
  fields().set(*this, assignment);
}

// docs/off-policy.md has the figures (Pendulum: 5 seeds; MuJoCo: seed 1, 100k steps).
const std::vector<std::pair<std::string, json>>& td3_presets() {
  static const std::vector<std::pair<std::string, json>> presets = {
      // As SAC's Pendulum preset, with 1000 uniform warm-up steps (the deterministic
      // actor explores less than SAC's).
      {"Pendulum-v1",
       {{"hidden_sizes", {64, 64}},
        {"batch_size", 100},
        {"learning_starts", 1000},
        {"buffer_size", 20000},
        {"actor_learning_rate", 1e-3},
        {"critic_learning_rate", 1e-3},
        {"total_timesteps", 20000}}},
      // Sparse reward: the goal pays 100, every step costs 0.1 * action^2, so an actor that
      // has not yet reached the goal learns to stand still. Ornstein-Uhlenbeck noise
      // (rl-baselines3-zoo's TD3 choice) pushes in one direction for hundreds of steps;
      // sigma 1.0 (the zoo: 0.5) finds the goal within the first 10-20k steps.
      {"MountainCarContinuous-v0",
       {{"exploration_noise_type", "ornstein_uhlenbeck"},
        {"exploration_noise", 1.0},
        {"hidden_sizes", {64, 64}},
        {"learning_starts", 100},
        {"buffer_size", 100000},
        {"actor_learning_rate", 1e-3},
        {"critic_learning_rate", 1e-3},
        {"total_timesteps", 50000}}},
      // MuJoCo locomotion: CleanRL's td3_continuous_action.py settings, which are cairn's TD3
      // defaults (256 x 256 relu, batch 256, Adam 3e-4, exploration noise 0.1, target noise 0.2
      // clipped at 0.5, policy delay 2), with its 25k uniform warm-up steps, for 1M steps.
      // docs/off-policy.md has seed 1's
      // returns after 50k and 100k steps.
      {"HalfCheetah-v5", {{"learning_starts", 25000}, {"total_timesteps", 1000000}}},
      {"Hopper-v5", {{"learning_starts", 25000}, {"total_timesteps", 1000000}}},
      {"Walker2d-v5", {{"learning_starts", 25000}, {"total_timesteps", 1000000}}},
      {"Ant-v5", {{"learning_starts", 25000}, {"total_timesteps", 1000000}}},
  };
  return presets;
}

TD3Config td3_untuned_config(const std::string& env_id) {
  TD3Config c;
  c.env_id = env_id;
  c.learning_starts = 1000;
  return c;
}

}  // namespace cairn
