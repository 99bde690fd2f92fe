// What `cairn eval`, `cairn inspect` and `cairn export` are pointed at: PATH, which names a
// policy folder, an algorithm checkpoint, or a run folder (meaning its latest checkpoint).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/env/env.h"
#include "cairn/policy/policy.h"

namespace cairn::cli {

// Where PATH leads, not yet verified.
struct TargetLocation {
  std::filesystem::path path;  // the policy folder or the algorithm checkpoint
  bool policy_folder = false;  // PATH itself holds a policy manifest
};

// A policy folder (PATH holds a policy manifest) as it is; otherwise the algorithm checkpoint
// PATH names, or a run folder's latest checkpoint. Reads nothing but the names of the
// folder's entries and the run folder's `latest`. Throws cairn::Error naming PATH if it
// does not exist or is none of these.
TargetLocation locate_target(const std::string& given);

// A located target, verified as resuming would verify it.
struct CheckpointTarget {
  std::filesystem::path path;  // the checkpoint or policy folder
  bool algorithm = false;      // an algorithm checkpoint
  // The config (normalized JSON) of the algorithm checkpoint holding the policy.
  std::optional<nlohmann::json> config;
  nlohmann::json manifest;  // the verified algorithm checkpoint manifest (algorithm only)
};

// locate_target(), then: an algorithm checkpoint is verified (files, config, policy list,
// algorithm state); a policy folder inside an algorithm checkpoint (its policies/ folder)
// takes that checkpoint's config, verified likewise, so that it knows its environment. A
// standalone policy folder has no config. The policy folder's own files are not read here:
// restoring the policy verifies them. Throws cairn::Error naming the file and field on any
// failed check.
CheckpointTarget resolve_target(const std::string& given);

// The environment a command runs the target's policy on (`cairn eval`, `cairn render`).
struct TargetEnvironment {
  std::string id;
  nlohmann::json options = nlohmann::json::object();
};
// `given` (the --env flag) with no options if set; otherwise the env_id and env_options of
// the target's config. Throws cairn::Error for a standalone policy folder without --env.
TargetEnvironment target_environment(const CheckpointTarget& target,
                                     const std::optional<std::string>& given);
// Throws cairn::Error naming env_id and both pairs of spaces unless `env` has the
// observation and action spaces `policy` expects.
void check_policy_fits(const Env& env, const std::string& env_id, const Policy& policy);

}  // namespace cairn::cli
