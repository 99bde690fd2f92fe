// "sac" and "td3" in the algorithm registry (builtin_algorithms.cpp), with their presets.
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/td3.h"
#include "cairn/error.h"

namespace cairn {
namespace {

template <typename Config>
void fill_common(AlgorithmInfo& info) {
  info.default_config = [] { return Config().to_json(); };
  info.normalize_config = [](const nlohmann::json& j) {
    const Config c = Config::from_json(j);
    c.validate();  // sizes too, before the constructor allocates for them
    return c.to_json();
  };
}

bool keeps_replay(const nlohmann::json& config) {
  return !config.contains("checkpoint_replay_buffer") ||
         config["checkpoint_replay_buffer"] != false;
}

}  // namespace

AlgorithmInfo sac_algorithm_info() {
  AlgorithmInfo info;
  info.name = "sac";
  info.label = "SAC";
  info.description =
      "Soft Actor-Critic with automatic entropy tuning (Haarnoja et al. 2018), "
      "off-policy, Box actions";
  fill_common<SACConfig>(info);
  info.untuned_config = [](const std::string& env_id) {
    return sac_untuned_config(env_id).to_json();
  };
  info.create = [](const nlohmann::json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<SAC>(SACConfig::from_json(j));
  };
  info.check_state = [](const TensorDict& state, const nlohmann::json& config) {
    check_off_policy_state(state, keeps_replay(config));
    state.expect("sac/log_alpha", DType::f32, {1});
  };
  info.metric_names = SAC::metric_names();
  for (const auto& [env_id, keys] : sac_presets()) info.presets[env_id] = keys;
  return info;
}

AlgorithmInfo td3_algorithm_info() {
  AlgorithmInfo info;
  info.name = "td3";
  info.label = "TD3";
  info.description = "Twin Delayed DDPG (Fujimoto et al. 2018), off-policy, Box actions";
  fill_common<TD3Config>(info);
  info.untuned_config = [](const std::string& env_id) {
    return td3_untuned_config(env_id).to_json();
  };
  info.create = [](const nlohmann::json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<TD3>(TD3Config::from_json(j));
  };
  info.check_state = [](const TensorDict& state, const nlohmann::json& config) {
    check_off_policy_state(state, keeps_replay(config),
                           config.value("exploration_noise_type", "") == "ornstein_uhlenbeck");
  };
  info.metric_names = TD3::metric_names();
  for (const auto& [env_id, keys] : td3_presets()) info.presets[env_id] = keys;
  return info;
}

}  // namespace cairn
