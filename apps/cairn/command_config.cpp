// `cairn config show ppo`: PPO's default config or an environment's tuned preset.
#include <cstdio>

#include "arguments.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "commands.h"

namespace cairn::cli {

int run_config(int argc, char** argv, int first) {
  const std::vector<FlagSpec> flags = {
      {"env", true, "ID", "show the tuned preset for this environment"},
      {"json", false, "", "print the config as one JSON object on one line"},
      {"help", false, "", "show this help"}};
  Arguments args("config", flags, argc, argv, first);
  if (args.has("help") || args.positional().size() != 2 || args.positional()[0] != "show" ||
      args.positional()[1] != "ppo") {
    if (!args.has("help")) throw Error("usage: cairn config show ppo [--env ID]");
    std::fputs(
        help_text("cairn config show ppo [--env ID] [--json]",
                  "Prints PPO's default config, or the tuned preset of an environment, as JSON.",
                  flags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.has("env") && !is_registered(*args.get("env"))) {
    throw Error("unknown environment '" + *args.get("env") + "' for --env (see 'cairn envs')");
  }
  const PPOConfig config = args.has("env") ? ppo_preset(*args.get("env")) : PPOConfig();
  std::printf("%s\n", config.to_json().dump(args.has("json") ? -1 : 2).c_str());
  return 0;
}

}  // namespace cairn::cli
