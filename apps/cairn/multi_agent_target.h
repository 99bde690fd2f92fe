// A policy of a multi-agent checkpoint as `cairn eval` and `cairn render` use it: the
// checkpoint's mapping from agents to policies (data in its config) and the agents the policy
// plays in its environment.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/algorithms/policy_mapping.h"
#include "checkpoint_target.h"

namespace cairn::cli {

struct MultiAgentTarget {
  std::filesystem::path checkpoint;     // the algorithm checkpoint (PATH may be a policy folder)
  std::vector<std::string> policy_ids;  // every policy of the run, in the config's order
  PolicyMapping mapping;
  std::vector<std::string> agents;  // the environment's possible agents the policy plays
};

// Reads the mapping of the multi-agent checkpoint holding `target`, and which of the
// possible agents of env_id (built with env_options) `policy_id` plays. Throws cairn::Error
// for a standalone policy folder (it has no mapping), a policy that plays no agent of the
// environment (naming it and the mapping), or an environment that cannot be built.
MultiAgentTarget multi_agent_target(const CheckpointTarget& target, const std::string& env_id,
                                    const nlohmann::json& env_options,
                                    const std::string& policy_id);

}  // namespace cairn::cli
