// "sac" and "td3" in the algorithm registry, with their presets.
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/presets.h"
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/td3.h"
#include "cairn/checkpoint/training_state.h"
#include "cairn/error.h"

namespace cairn {
namespace {

// What restoring would read first, checked without building anything: the generators
// and counters of the loop. The rest (networks, optimisers, buffer) is checked against
// the built algorithm's shapes by restore_state().
void check_off_policy_state(const TensorDict& state, const nlohmann::json& config) {
  Rng probe(0);
  training_state::restore_rng(probe, "rng/actions", state);
  training_state::restore_rng(probe, "rng/update", state);
  for (const char* name : {"counters/vector_steps", "counters/gradient_steps"}) {
    if (training_state::restore_integer(name, state) < 0)
      throw Error(state.source() + ": tensor '" + name + "' is negative");
  }
  const bool replay = config.value("checkpoint_replay_buffer", true);
  if (replay && !state.contains("replay/size"))
    throw Error(state.source() +
                ": missing tensor 'replay/size' (the config keeps the replay buffer)");
}

}  // namespace

void register_sac_algorithms() {
  AlgorithmInfo sac;
  sac.name = "sac";
  sac.label = "SAC";
  sac.description = "Soft Actor-Critic with automatic entropy tuning (continuous actions)";
  sac.default_config = [] { return SACConfig().to_json(); };
  sac.untuned_config = [](const std::string& env_id) {
    return sac_untuned_config(env_id).to_json();
  };
  sac.normalize_config = [](const nlohmann::json& j) {
    const SACConfig c = SACConfig::from_json(j);
    c.validate();
    return c.to_json();
  };
  sac.create = [](const nlohmann::json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<SAC>(SACConfig::from_json(j));
  };
  sac.check_state = [](const TensorDict& state, const nlohmann::json& config) {
    check_off_policy_state(state, config);
    state.expect("sac/log_alpha", DType::f32, {1});  // throws naming the tensor
  };
  register_algorithm(std::move(sac));

  AlgorithmInfo td3;
  td3.name = "td3";
  td3.label = "TD3";
  td3.description = "Twin Delayed DDPG (continuous actions)";
  td3.default_config = [] { return TD3Config().to_json(); };
  td3.untuned_config = [](const std::string& env_id) {
    return td3_untuned_config(env_id).to_json();
  };
  td3.normalize_config = [](const nlohmann::json& j) {
    const TD3Config c = TD3Config::from_json(j);
    c.validate();
    return c.to_json();
  };
  td3.create = [](const nlohmann::json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<TD3>(TD3Config::from_json(j));
  };
  td3.check_state = [](const TensorDict& state, const nlohmann::json& config) {
    check_off_policy_state(state, config);
  };
  register_algorithm(std::move(td3));

  for (const auto& [env_id, keys] : sac_presets()) register_preset("sac", env_id, keys);
  for (const auto& [env_id, keys] : td3_presets()) register_preset("td3", env_id, keys);
}

}  // namespace cairn
