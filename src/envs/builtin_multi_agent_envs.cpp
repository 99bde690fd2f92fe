#include <memory>

#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/envs/rock_paper_scissors.h"
#include "cairn/envs/split_axis_navigation.h"
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
  specs.push_back({
      .id = "RockPaperScissors-v0",
      .factory = [](EnvOptions& options) -> std::unique_ptr<MultiAgentEnv> {
        const int64_t rounds = options.integer("rounds", RockPaperScissors::kDefaultRounds);
        return std::make_unique<RockPaperScissors>(rounds);
      },
      // None: what a player can win depends on its opponent (zero-sum).
      .reward_threshold = std::nullopt,
      .description = "two players, player_0 and player_1, play rock-paper-scissors for a fixed "
                     "number of rounds (+1 win, -1 loss, 0 tie; each sees the opponent's last "
                     "move); option rounds (default 10)",
  });
  specs.push_back({
      .id = "SplitAxisNavigation-v0",
      .factory = [](EnvOptions& options) -> std::unique_ptr<MultiAgentEnv> {
        const int64_t size = options.integer("size", SplitAxisNavigation::kDefaultSize);
        const int64_t max_steps =
            options.integer("max_steps", SplitAxisNavigation::kDefaultMaxSteps);
        return std::make_unique<SplitAxisNavigation>(size, max_steps);
      },
      .reward_threshold = 0.9,
      .description = "cooperative: agents x and y each move a marker along one axis of a grid, "
                     "seeing only their own offset to a target; +1 to both when it is reached, "
                     "-0.01 per step; options size (default 9), max_steps (default 12)",
  });
  return specs;
}

}  // namespace cairn
