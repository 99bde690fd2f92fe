// `cairn envs`: the registered environments with their spaces and time limits.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "arguments.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/multi_agent_registry.h"
#include "commands.h"

namespace cairn::cli {

int run_envs(int argc, char** argv, int first) {
  const std::vector<FlagSpec> flags = {{"json", false, "", "print one JSON object"},
                                       {"help", false, "", "show this help"}};
  Arguments args("envs", flags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn envs [--json]",
                  "Lists the registered environments with their spaces and time limits, then the\n"
                  "multi-agent environments with their agents.",
                  flags)
            .c_str(),
        stdout);
    return 0;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& id : registered_env_ids()) {
    const EnvSpec spec = env_spec(id);
    auto env = make(id);
    nlohmann::json row = {{"id", id},
                          {"observation_space", env->observation_space().to_json()},
                          {"action_space", env->action_space().to_json()},
                          {"max_episode_steps", spec.max_episode_steps.value_or(0)},
                          {"description", spec.description}};
    if (spec.reward_threshold) row["reward_threshold"] = *spec.reward_threshold;
    out.push_back(row);
    if (!args.has("json")) {
      std::printf("%-26s obs %-36s act %-22s limit %lld\n", id.c_str(),
                  env->observation_space().to_string().c_str(),
                  env->action_space().to_string().c_str(),
                  static_cast<long long>(spec.max_episode_steps.value_or(0)));
    }
  }
  // Multi-agent environments (multi_agent_ppo), each agent with its spaces.
  nlohmann::json multi = nlohmann::json::array();
  if (!args.has("json"))
    std::printf("\nmulti-agent (--algo multi_agent_ppo; docs/multi-agent.md):\n");
  for (const std::string& id : registered_multi_agent_env_ids()) {
    const MultiAgentEnvSpec spec = multi_agent_env_spec(id);
    const std::unique_ptr<MultiAgentEnv> env = make_multi_agent(id);
    nlohmann::json agents = nlohmann::json::array();
    for (size_t i = 0; i < env->num_possible_agents(); ++i) {
      agents.push_back({{"id", env->possible_agents()[i]},
                        {"observation_space", env->observation_space(i).to_json()},
                        {"action_space", env->action_space(i).to_json()}});
    }
    nlohmann::json row = {{"id", id}, {"agents", agents}, {"description", spec.description}};
    if (spec.reward_threshold) row["reward_threshold"] = *spec.reward_threshold;
    multi.push_back(row);
    if (!args.has("json")) {
      std::string names;
      for (const std::string& a : env->possible_agents()) names += (names.empty() ? "" : ", ") + a;
      std::printf("%-26s agents %s; agent %s: obs %s act %s\n", id.c_str(), names.c_str(),
                  env->possible_agents()[0].c_str(), env->observation_space(0).to_string().c_str(),
                  env->action_space(0).to_string().c_str());
    }
  }
  if (args.has("json")) {
    std::printf(
        "%s\n",
        nlohmann::json{{"environments", out}, {"multi_agent_environments", multi}}.dump().c_str());
  }
  return 0;
}

}  // namespace cairn::cli
