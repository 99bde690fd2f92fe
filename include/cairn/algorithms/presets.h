// Presets: tuned configs of an algorithm for an environment.
//
// The built-in presets (docs/ppo-presets.md, docs/off-policy-presets.md) are registered
// on first use; an environment's author registers its own next to the environment
// (examples/simple_corridor does), as a partial config applied over the algorithm's
// defaults.
//
// Thread safety: registration is not thread-safe; register before use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

// Registers (or replaces) the tuned preset of `algorithm` for `env_id`: the keys of
// `config` applied over the algorithm's defaults, with env_id set. Throws cairn::Error if
// the algorithm is unknown or `config` is not an object.
void register_preset(const std::string& algorithm, const std::string& env_id,
                     nlohmann::json config);

// The registered preset's keys, if any.
std::optional<nlohmann::json> registered_preset(const std::string& algorithm,
                                                const std::string& env_id);

// The config for `algorithm` on `env_id`: its registered preset over the defaults, else
// the algorithm's config for a first run (AlgorithmInfo::untuned_config), normalized.
nlohmann::json preset_config(const std::string& algorithm, const std::string& env_id);
bool has_preset(const std::string& algorithm, const std::string& env_id);

// Environment ids with a tuned preset for `algorithm`, sorted.
std::vector<std::string> preset_env_ids(const std::string& algorithm);

}  // namespace cairn
