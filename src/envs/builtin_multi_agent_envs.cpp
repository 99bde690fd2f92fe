#include <memory>

#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/error.h"
#include "env/builtin_multi_agent_env_specs.h"

namespace cairn {

std::vector<MultiAgentEnvSpec> builtin_multi_agent_env_specs() {
  std::vector<MultiAgentEnvSpec> specs;
  specs.push_back({
      .id = "MultiAgentCartPole-v0",
      .factory = [](EnvOptions& options) -> std::unique_ptr<MultiAgentEnv> {
        const int64_t n = options.integer("num_agents", 2);
        if (n < 1 || n > 1024) {
          throw Error("option 'num_agents' must be in [1, 1024], got " + std::to_string(n));
        }
        std::vector<std::unique_ptr<Env>> envs;
        for (int64_t i = 0; i < n; ++i) envs.push_back(make("CartPole-v1"));
        return std::make_unique<IndependentAgents>(std::move(envs));
      },
      .reward_threshold = 475.0,
      .description = "num_agents independent CartPole-v1s, one agent each, agent_0.. (RLlib's "
                     "MultiAgentCartPole); option num_agents (default 2)",
  });
  return specs;
}

}  // namespace cairn
