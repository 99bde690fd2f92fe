#include "checkpoint_target.h"

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool entry_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// The config of a verified algorithm checkpoint manifest, normalized by its algorithm.
json config_of(const json& manifest, const fs::path& file) {
  try {
    return algorithm_info(manifest.at("algorithm").get<std::string>())
        .normalize_config(manifest.at("config"));
  } catch (const Error& e) {
    throw Error(file.string() + ": field 'config': " + e.what());
  }
}

}  // namespace

TargetLocation locate_target(const std::string& given) {
  const fs::path p(given);
  require_path(p, "path");
  if (entry_exists(p / kPolicyManifestFile)) return {p, true};
  return {resolve_checkpoint(p), false};
}

CheckpointTarget resolve_target(const std::string& given) {
  const TargetLocation location = locate_target(given);
  const fs::path& p = location.path;
  if (location.policy_folder) {
    CheckpointTarget t{p, false, std::nullopt, json()};
    // A policy folder inside an algorithm checkpoint knows its environment from there.
    const fs::path owner = p.parent_path().parent_path();
    if (p.parent_path().filename() == kPoliciesFolder &&
        entry_exists(owner / kCheckpointManifestFile)) {
      t.config = config_of(verify_algorithm_checkpoint(owner), owner / kCheckpointManifestFile);
    }
    return t;
  }
  // Verified as resuming would verify it (files, config, policy list, state).
  json manifest = verify_algorithm_checkpoint(p);
  json config = config_of(manifest, p / kCheckpointManifestFile);
  return {p, true, std::move(config), std::move(manifest)};
}

TargetEnvironment target_environment(const CheckpointTarget& target,
                                     const std::optional<std::string>& given) {
  if (given) return {*given, json::object()};
  if (target.config) {
    return {target.config->at("env_id").get<std::string>(), target.config->at("env_options")};
  }
  throw Error("'" + target.path.string() + "' is a standalone policy folder: give --env ID");
}

void check_policy_fits(const Env& env, const std::string& env_id, const Policy& policy) {
  if (!(env.observation_space() == policy.observation_space()) ||
      !(env.action_space() == policy.action_space())) {
    throw Error("environment '" + env_id + "' has spaces " + env.observation_space().to_string() +
                " / " + env.action_space().to_string() + ", the policy expects " +
                policy.observation_space().to_string() + " / " + policy.action_space().to_string());
  }
}

}  // namespace cairn::cli
