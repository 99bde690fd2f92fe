#include "multi_agent_target.h"

#include "cairn/env/multi_agent_registry.h"
#include "cairn/error.h"

namespace cairn::cli {

MultiAgentTarget multi_agent_target(const CheckpointTarget& target, const std::string& env_id,
                                    const nlohmann::json& env_options,
                                    const std::string& policy_id) {
  if (!target.config || !target.config->contains("policy_mapping") ||
      !target.config->contains("policies")) {
    throw Error(env_id +
                " is a multi-agent environment: use a policy of a multi-agent checkpoint (its "
                "config maps agents to policies), not a standalone policy folder");
  }
  const nlohmann::json& config = *target.config;
  MultiAgentTarget out;
  out.checkpoint = target.algorithm ? target.path : target.path.parent_path().parent_path();
  for (const auto& [id, unused] : config["policies"].items()) out.policy_ids.push_back(id);
  out.mapping = PolicyMapping::from_json(config["policy_mapping"], out.policy_ids,
                                         "checkpoint config 'policy_mapping'");
  const std::vector<std::string> agents = make_multi_agent(env_id, env_options)->possible_agents();
  const std::vector<std::string> policies = out.mapping.resolve(agents);
  for (size_t i = 0; i < agents.size(); ++i) {
    if (policies[i] == policy_id) out.agents.push_back(agents[i]);
  }
  if (out.agents.empty()) {
    throw Error("policy '" + policy_id + "' plays no agent of " + env_id +
                " (the checkpoint's policy_mapping: " + config["policy_mapping"].dump() + ")");
  }
  return out;
}

}  // namespace cairn::cli
