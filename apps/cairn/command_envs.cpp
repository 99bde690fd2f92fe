// `cairn envs`: the registered environments with their spaces and time limits.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arguments.h"
#include "cairn/env/env_registry.h"
#include "commands.h"

namespace cairn::cli {

int run_envs(int argc, char** argv, int first) {
  const std::vector<FlagSpec> flags = {{"json", false, "", "print one JSON object"},
                                       {"help", false, "", "show this help"}};
  Arguments args("envs", flags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn envs [--json]",
                  "Lists the registered environments with their spaces and time limits.", flags)
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
  if (args.has("json")) std::printf("%s\n", nlohmann::json{{"environments", out}}.dump().c_str());
  return 0;
}

}  // namespace cairn::cli
