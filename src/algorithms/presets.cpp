#include "cairn/algorithms/presets.h"

#include "algorithms/algorithm_table.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/error.h"

namespace cairn {

void register_preset(const std::string& algorithm, const std::string& env_id,
                     nlohmann::json config) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  if (env_id.empty()) throw Error("register_preset: empty environment id");
  if (!config.is_object()) {
    throw Error("register_preset: the " + info.label + " preset for " + env_id +
                " must be a JSON object");
  }
  config["env_id"] = env_id;
  // Refuse a bad preset when it is registered, not when a user first asks for it.
  info.normalize_config(config);
  algorithm_table()[info.name].presets[env_id] = std::move(config);
}

std::optional<nlohmann::json> registered_preset(const std::string& algorithm,
                                                const std::string& env_id) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  auto it = info.presets.find(env_id);
  if (it == info.presets.end()) return std::nullopt;
  nlohmann::json preset = it->second;
  preset["env_id"] = env_id;
  return preset;
}

bool has_preset(const std::string& algorithm, const std::string& env_id) {
  return algorithm_info(algorithm).presets.count(env_id) != 0;
}

nlohmann::json preset_config(const std::string& algorithm, const std::string& env_id) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  if (std::optional<nlohmann::json> preset = registered_preset(algorithm, env_id)) {
    return info.normalize_config(*preset);
  }
  return info.normalize_config(info.untuned_config(env_id));
}

std::vector<std::string> preset_env_ids(const std::string& algorithm) {
  std::vector<std::string> ids;
  for (const auto& [env_id, config] : algorithm_info(algorithm).presets) ids.push_back(env_id);
  return ids;
}

}  // namespace cairn
