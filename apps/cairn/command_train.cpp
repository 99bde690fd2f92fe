// `cairn train` and `cairn config show`.
#include <cstdio>

#include "arguments.h"
#include "cairn/error.h"
#include "commands.h"
#include "training_run.h"

namespace cairn::cli {
namespace {

const std::vector<FlagSpec> kTrainFlags = {
    {"env", true, "ID", "environment id (default: the config file's, else CartPole-v1)"},
    {"config", true, "FILE", "PPO config as JSON (keys of 'cairn config show ppo')"},
    {"set", true, "KEY=VALUE", "override one config key (repeatable)"},
    {"seed", true, "N", "seed of the run"},
    {"stop-reward", true, "R", "stop when the mean return of the last 100 episodes reaches R"},
    {"stop-timesteps", true, "N", "stop after N environment steps (default: total_timesteps)"},
    {"stop-iters", true, "N", "stop after N iterations"},
    {"stop-seconds", true, "S", "stop after S seconds of training"},
    {"eval-episodes", true, "N",
     "deterministic evaluation episodes at the end (default 100; 0: none)"},
    {"quiet", false, "", "no progress lines"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

StopConditions stop_conditions(const Arguments& args, const PPOConfig& config) {
  StopConditions stop;
  stop.timesteps = args.integer_or("stop-timesteps", config.total_timesteps, 1, INT64_MAX);
  if (args.has("stop-iters")) stop.iterations = args.integer_or("stop-iters", 0, 1, INT64_MAX);
  if (args.has("stop-seconds")) stop.seconds = args.number_or("stop-seconds", 0);
  if (args.has("stop-reward")) stop.mean_return = args.number_or("stop-reward", 0);
  return stop;
}

}  // namespace

int run_train(int argc, char** argv, int first) {
  Arguments args("train", kTrainFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn train [--env ID] [--config FILE] [--set KEY=VALUE]... [--seed N] "
                  "[stop options] [--json]",
                  "Trains PPO, printing progress, then evaluates the policy deterministically.",
                  kTrainFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (!args.positional().empty()) throw Error("unexpected argument '" + args.positional()[0] + "'");
  std::optional<uint64_t> seed;
  if (args.has("seed")) seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
  const PPOConfig config =
      resolve_config(args.get("env"), args.get("config"), args.get_all("set"), seed);
  const StopConditions stop = stop_conditions(args, config);
  const int64_t eval_episodes = args.integer_or("eval-episodes", 100, 0, 1000000);
  const bool json = args.has("json");

  PPO ppo(config);
  const std::vector<TrainResult> results =
      train_with_progress(ppo, stop, {.quiet = json || args.has("quiet")}, stdout);
  nlohmann::json out = {{"config", config.to_json()}, {"final", results.back().to_json()}};
  if (eval_episodes > 0) {
    const EvaluationResult e = ppo.evaluate(eval_episodes, true);
    out["evaluation"] = e.to_json();
    if (!json) {
      std::printf(
          "evaluation: %lld deterministic episodes, mean return %.2f (min %.2f, max %.2f)\n",
          static_cast<long long>(eval_episodes), e.mean_return, e.min_return, e.max_return);
    }
  }
  if (json) std::printf("%s\n", out.dump().c_str());
  return 0;
}

int run_config(int argc, char** argv, int first) {
  const std::vector<FlagSpec> flags = {
      {"env", true, "ID", "show the tuned preset for this environment"},
      {"help", false, "", "show this help"}};
  Arguments args("config", flags, argc, argv, first);
  if (args.has("help") || args.positional().size() != 2 || args.positional()[0] != "show" ||
      args.positional()[1] != "ppo") {
    if (!args.has("help")) throw Error("usage: cairn config show ppo [--env ID]");
    std::fputs(
        help_text("cairn config show ppo [--env ID]",
                  "Prints PPO's default config, or the tuned preset of an environment, as JSON.",
                  flags)
            .c_str(),
        stdout);
    return 0;
  }
  const PPOConfig config = args.has("env") ? ppo_preset(*args.get("env")) : PPOConfig();
  std::printf("%s\n", config.to_json().dump(2).c_str());
  return 0;
}

}  // namespace cairn::cli
