// `cairn rollout`: random-action rollouts through the vectorised environment, with
// episode statistics.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arguments.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/vector_env.h"
#include "cairn/error.h"
#include "commands.h"

namespace cairn::cli {
namespace {

struct RolloutStats {
  std::string env_id;
  int64_t episodes = 0;
  double mean_return = 0, min_return = 0, max_return = 0, mean_length = 0;
  int64_t steps = 0;
  double seconds = 0;
};

// Random actions on `num_envs` copies until `episodes` episodes have finished.
RolloutStats random_rollout(const std::string& id, int64_t episodes, uint64_t seed,
                            size_t num_envs) {
  VectorEnv venv(id, num_envs);
  const Space& space = venv.single_action_space();
  Rng rng = Rng::stream(seed, 1000);
  std::vector<int64_t> int_actions(space.is_integer() ? num_envs * space.size() : 0);
  std::vector<float> float_actions(space.is_integer() ? 0 : num_envs * space.size());

  RolloutStats s;
  s.env_id = id;
  s.min_return = 1e300;
  s.max_return = -1e300;
  double sum_return = 0, sum_length = 0;
  const auto start = std::chrono::steady_clock::now();
  venv.reset(seed);
  while (s.episodes < episodes) {
    for (size_t i = 0; i < num_envs; ++i) {
      if (space.is_integer()) {
        space.sample(rng, std::span<int64_t>(int_actions).subspan(i * space.size(), space.size()));
      } else {
        space.sample(rng, std::span<float>(float_actions).subspan(i * space.size(), space.size()));
      }
    }
    if (space.is_integer()) {
      venv.step(std::span<const int64_t>(int_actions));
    } else {
      venv.step(std::span<const float>(float_actions));
    }
    s.steps += static_cast<int64_t>(num_envs);
    for (const EpisodeRecord& e : venv.finished_episodes()) {
      if (s.episodes >= episodes) break;
      ++s.episodes;
      sum_return += e.episode_return;
      sum_length += static_cast<double>(e.length);
      s.min_return = std::min(s.min_return, e.episode_return);
      s.max_return = std::max(s.max_return, e.episode_return);
    }
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.mean_return = sum_return / static_cast<double>(s.episodes);
  s.mean_length = sum_length / static_cast<double>(s.episodes);
  return s;
}

nlohmann::json to_json(const RolloutStats& s) {
  return {{"env", s.env_id},
          {"episodes", s.episodes},
          {"mean_return", s.mean_return},
          {"min_return", s.min_return},
          {"max_return", s.max_return},
          {"mean_length", s.mean_length},
          {"steps", s.steps},
          {"seconds", s.seconds}};
}

void print_table(const std::vector<RolloutStats>& rows) {
  std::printf("%-26s %8s %12s %12s %12s %10s %14s\n", "environment", "episodes", "mean return",
              "min return", "max return", "mean len", "steps/s");
  for (const RolloutStats& s : rows) {
    std::printf("%-26s %8lld %12.2f %12.2f %12.2f %10.1f %14.0f\n", s.env_id.c_str(),
                static_cast<long long>(s.episodes), s.mean_return, s.min_return, s.max_return,
                s.mean_length, static_cast<double>(s.steps) / s.seconds);
  }
}

const std::vector<FlagSpec> kRolloutFlags = {
    {"env", true, "ID", "environment id (default: every registered environment)"},
    {"episodes", true, "N", "episodes per environment (default 100)"},
    {"seed", true, "N", "seed (default 0)"},
    {"num-envs", true, "N", "environment copies stepped together (default 8)"},
    {"json", false, "", "print one JSON object"},
    {"help", false, "", "show this help"},
};

}  // namespace

int run_rollout(int argc, char** argv, int first) {
  Arguments args("rollout", kRolloutFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn rollout [--env ID] [--episodes N] [--seed N] [--num-envs N] [--json]",
                  "Rolls out uniformly random actions and prints episode statistics.",
                  kRolloutFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (!args.positional().empty()) {
    throw Error("unexpected argument '" + args.positional()[0] + "'");
  }
  const int64_t episodes = args.integer_or("episodes", 100, 1, 1000000000);
  const uint64_t seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
  const size_t num_envs = static_cast<size_t>(args.integer_or("num-envs", 8, 1, 65536));
  std::vector<std::string> ids =
      args.has("env") ? std::vector<std::string>{*args.get("env")} : registered_env_ids();
  std::vector<RolloutStats> rows;
  for (const std::string& id : ids) rows.push_back(random_rollout(id, episodes, seed, num_envs));
  if (args.has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const RolloutStats& s : rows) out.push_back(to_json(s));
    std::printf("%s\n", nlohmann::json{{"rollouts", out}}.dump().c_str());
  } else {
    print_table(rows);
  }
  return 0;
}

}  // namespace cairn::cli
