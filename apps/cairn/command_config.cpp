// `cairn config show ALGO`: an algorithm's default config or an environment's tuned preset.
#include <cstdio>

#include "arguments.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/presets.h"
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
  std::string names;
  for (const std::string& n : algorithm_names()) names += (names.empty() ? "" : "|") + n;
  const std::string usage = "cairn config show " + names + " [--env ID] [--json]";
  if (args.has("help") || args.positional().size() != 2 || args.positional()[0] != "show") {
    if (!args.has("help")) throw Error("usage: " + usage);
    std::string about =
        "Prints an algorithm's default config, or its tuned preset for an\n"
        "environment (or the config of a first run where it has none), as JSON.\n"
        "Algorithms:\n";
    for (const std::string& n : algorithm_names()) {
      about += "  " + n + "  " + algorithm_info(n).description + "\n";
    }
    std::fputs(help_text(usage, about, flags).c_str(), stdout);
    return 0;
  }
  const AlgorithmInfo& info = algorithm_info(args.positional()[1]);
  if (args.has("env") && !is_registered(*args.get("env"))) {
    throw Error("unknown environment '" + *args.get("env") + "' for --env (see 'cairn envs')");
  }
  const nlohmann::json config = args.has("env") ? preset_config(info.name, *args.get("env"))
                                                : info.normalize_config(info.default_config());
  std::printf("%s\n", config.dump(args.has("json") ? -1 : 2).c_str());
  return 0;
}

}  // namespace cairn::cli
