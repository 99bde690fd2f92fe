// The algorithm registry: every algorithm by name, so that the CLI, presets, metrics,
// checkpoint inspection and export work for any of them.
//
// Built-in algorithms ("ppo", "sac", "td3", "dqn") are registered on first use; plugins
// register more with register_algorithm(). Names are lower-case; lookups of a name read
// from a file ignore case (cairn 0.1 wrote "PPO").
//
// Thread safety: registration is not thread-safe; register before training starts.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm.h"

namespace cairn {

struct AlgorithmInfo {
  std::string name;         // "sac"
  std::string label;        // "SAC" (messages, help)
  std::string description;  // one line for `cairn config show` and help
  // The algorithm's defaults as a config JSON (every key), env_id left at its default.
  std::function<nlohmann::json()> default_config;
  // The config for a first run on an environment with no tuned preset (env_id set).
  std::function<nlohmann::json(const std::string& env_id)> untuned_config;
  // Parses and validates a config (missing keys keep the defaults) and returns it with
  // every key. Throws cairn::Error naming the key ("SAC config: 'tau' must be in [0, 1]").
  std::function<nlohmann::json(const nlohmann::json&)> normalize_config;
  // Builds a fresh algorithm from a normalized config.
  std::function<std::unique_ptr<Algorithm>(const nlohmann::json&)> create;
  // Checks the algorithm's own tensors of a checkpoint's state (the frame checks its
  // counters, episode statistics, environment state and "optimizer/" tensors) without
  // building anything, so that verifying refuses exactly what restoring would. `config`
  // is normalized. Throws cairn::Error naming the tensor.
  std::function<void(const TensorDict& state, const nlohmann::json& config)> check_state;
  // The policy ids a checkpoint of a run with this normalized config holds, in order; unset
  // for algorithms with one policy ({"default_policy"}).
  std::function<std::vector<std::string>(const nlohmann::json& config)> policy_ids;
  // The names of TrainResult::metrics every train() sets, in order (metrics files' columns).
  std::vector<std::string> metric_names;
  // Tuned presets by environment id: keys applied over default_config() (presets.h).
  std::map<std::string, nlohmann::json> presets;
};

// Registers (or replaces) an algorithm. Throws cairn::Error for an empty or upper-case
// name or missing functions.
void register_algorithm(AlgorithmInfo info);
// The algorithm named `name` (case ignored). Throws cairn::Error listing the registered
// names when there is none.
const AlgorithmInfo& algorithm_info(const std::string& name);
bool has_algorithm(const std::string& name);
// Registered names, sorted.
std::vector<std::string> algorithm_names();

// A fresh algorithm from `config` (normalized first).
std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const nlohmann::json& config);

// Restores an algorithm from a checkpoint folder (or a run folder's latest) to continue
// training: reads the algorithm's name and config from the manifest, builds it, restores
// the policy folder and the state. On the same build and machine the continued run equals
// one that never stopped, bit for bit (unless checkpoint_is_complete() was false when it
// was saved; the manifest's "complete" says so). When `manifest` is not null it receives
// the verified manifest (cairn_checkpoint.json), so a caller that needs "complete" or the
// counters does not verify the checkpoint a second time. Throws cairn::Error naming the
// file and the problem.
std::unique_ptr<Algorithm> restore_algorithm(const std::filesystem::path& path,
                                             nlohmann::json* manifest = nullptr);

// Verifies an algorithm checkpoint without restoring it (no environment is built): its
// manifest, files and checksums, algorithm, config, policy list, counters and state, with
// the checks restore_algorithm makes. Returns the manifest (cairn_checkpoint.json). Throws
// cairn::Error naming the file and the problem.
nlohmann::json verify_algorithm_checkpoint(const std::filesystem::path& path);

}  // namespace cairn
