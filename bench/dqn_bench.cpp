// DQN with the shipped presets, on one core.
//
//   dqn_bench [SEEDS [key=value ...]]
//        CartPole-v1, seeds 1..SEEDS (default 5): every 1000 environment steps (one
//        iteration) a deterministic evaluation of 10 episodes on a fresh environment; the
//        environment steps and seconds until it first reaches 500, both training only
//        (evaluations excluded; wall and this thread's CPU time) and wall time from
//        constructing DQN (evaluations included), then training goes on
//        to the preset's total_timesteps and the final policy is evaluated over 100
//        deterministic episodes (the learning check's figure). Overrides as `cairn train
//        --set`, for tuning.
//   dqn_bench --learning
//        the learning check, 5 seeds per preset: CartPole-v1 >= 475 and Acrobot-v1
//        >= -100 over 100 deterministic episodes after the preset's total_timesteps, and
//        what MountainCar-v0 reaches (CI's tests/algorithms/dqn_test.cpp runs fewer seeds)
//   dqn_bench --learning ENV [SEEDS [key=value ...]]
//        the same for one preset, seeds 1..SEEDS (default 5) or FIRST..LAST ("3..5"), with
//        config overrides, for tuning.
//   dqn_bench --run SEED
//        one CartPole-v1 seed of the first form, stopped at the first evaluation of 500,
//        as one line of key=value (for bench/side_by_side.sh)
// Rows are also printed to stderr as each seed finishes (long runs).
//
// bench/sb3_cartpole.py dqn measures Stable-Baselines3's DQN with the zoo's hyperparameters
// and the same evaluation protocol (run it in the same session for a side-by-side figure).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/dqn.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds of this thread: on a machine shared with other jobs, the one-core cost that
// wall time overstates.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// "N" -> 1..N, "A..B" -> A..B.
std::pair<uint64_t, uint64_t> seed_range(const std::string& arg) {
  const size_t dots = arg.find("..");
  if (dots == std::string::npos) return {1, std::stoull(arg)};
  return {std::stoull(arg.substr(0, dots)), std::stoull(arg.substr(dots + 2))};
}

// One CartPole-v1 seed: training until the first deterministic 10-episode evaluation of
// 500, then (unless stop_when_solved) on to total_timesteps.
struct Solve {
  int64_t steps = -1;  // environment steps at the first evaluation of 500; -1: never
  double train_seconds = 0, train_cpu = 0, wall = 0;  // to that point
  double total_train_seconds = 0;
  int64_t total_steps = 0;
  double final_return = 0;  // 100 deterministic episodes at the end (not when stopped)
};

Solve solve(uint64_t seed, const std::vector<std::string>& overrides, bool stop_when_solved) {
  cairn::DQNConfig c = cairn::dqn_preset("CartPole-v1");
  for (const std::string& o : overrides) c.set(o);
  c.seed = seed;
  const auto wall0 = Clock::now();
  cairn::DQN dqn(c);
  Solve s;
  double train_seconds = 0, train_cpu = 0;
  while (dqn.timesteps() < c.total_timesteps) {
    const auto t0 = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    dqn.train();
    train_cpu += thread_cpu_seconds() - cpu0;
    train_seconds += seconds_since(t0);
    if (s.steps < 0 && dqn.evaluate(10, true).mean_return >= 500.0) {
      s.steps = dqn.timesteps();
      s.train_seconds = train_seconds;
      s.train_cpu = train_cpu;
      s.wall = seconds_since(wall0);
      if (stop_when_solved) break;
    }
  }
  s.total_train_seconds = train_seconds;
  s.total_steps = dqn.timesteps();
  if (!stop_when_solved) s.final_return = dqn.evaluate(100, true).mean_return;
  return s;
}

void time_to_solve(std::pair<uint64_t, uint64_t> seeds, const std::vector<std::string>& overrides) {
  cairn::bench::print_machine(
      "DQN CartPole-v1: steps and seconds to a deterministic 10-episode evaluation of 500, "
      "then the 100-episode evaluation at total_timesteps");
  for (const std::string& o : overrides) std::printf("override: %s\n", o.c_str());
  cairn::bench::Table table({"seed", "steps to 500", "train s to 500", "train CPU s to 500",
                             "wall s to 500", "train s total", "final (100 ep)"});
  std::vector<double> train_to_solve, cpu_to_solve, wall_to_solve;
  for (uint64_t seed = seeds.first; seed <= seeds.second; ++seed) {
    const Solve s = solve(seed, overrides, false);
    const bool solved = s.steps >= 0;
    if (solved) {
      train_to_solve.push_back(s.train_seconds);
      cpu_to_solve.push_back(s.train_cpu);
      wall_to_solve.push_back(s.wall);
    }
    const std::vector<std::string> row = {
        std::to_string(seed),
        solved ? std::to_string(s.steps) : "never",
        solved ? cairn::bench::format_number(s.train_seconds, "%.2f") : "-",
        solved ? cairn::bench::format_number(s.train_cpu, "%.2f") : "-",
        solved ? cairn::bench::format_number(s.wall, "%.2f") : "-",
        cairn::bench::format_number(s.total_train_seconds, "%.2f"),
        cairn::bench::format_number(s.final_return, "%.1f")};
    std::string line;
    for (const std::string& cell : row) line += cell + " ";
    std::fprintf(stderr, "%s\n", line.c_str());
    table.add_row(row);
  }
  table.print();
  if (!train_to_solve.empty()) {
    std::printf("median over the %zu solving seeds: %s s training, %s s training CPU, %s s wall\n",
                train_to_solve.size(),
                cairn::bench::format_number(cairn::bench::median(train_to_solve), "%.2f").c_str(),
                cairn::bench::format_number(cairn::bench::median(cpu_to_solve), "%.2f").c_str(),
                cairn::bench::format_number(cairn::bench::median(wall_to_solve), "%.2f").c_str());
  }
}

void learning(const std::vector<std::string>& envs, std::pair<uint64_t, uint64_t> seeds,
              const std::vector<std::string>& overrides) {
  cairn::bench::print_machine("DQN presets: 100-episode deterministic evaluation, seeds " +
                              std::to_string(seeds.first) + ".." + std::to_string(seeds.second));
  for (const std::string& o : overrides) std::printf("override: %s\n", o.c_str());
  cairn::bench::Table table({"env", "seed", "env steps", "train time (s)", "mean return"});
  for (const std::string& env : envs) {
    for (uint64_t seed = seeds.first; seed <= seeds.second; ++seed) {
      cairn::DQNConfig c = cairn::dqn_preset(env);
      for (const std::string& o : overrides) c.set(o);
      c.seed = seed;
      cairn::DQN dqn(c);
      cairn::StopConditions stop;
      stop.timesteps = c.total_timesteps;
      const auto t0 = Clock::now();
      dqn.learn(stop);
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      const double ret = dqn.evaluate(100, true).mean_return;
      char s[32], r[32];
      std::snprintf(s, sizeof s, "%.1f", secs);
      std::snprintf(r, sizeof r, "%.1f", ret);
      std::fprintf(stderr, "%s %llu %s %s\n", env.c_str(), static_cast<unsigned long long>(seed), s,
                   r);
      table.add_row({env, std::to_string(seed), std::to_string(dqn.timesteps()), s, r});
    }
  }
  table.print();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--help") == 0) {
    std::printf(
        "usage: dqn_bench [SEEDS [key=value ...]]   CartPole-v1 steps and seconds to an\n"
        "                                            evaluation of 500, seeds 1..SEEDS or A..B\n"
        "       dqn_bench --run SEED                 one seed, stopped when solved:\n"
        "                                            solved=0|1 steps=... train_seconds=...\n"
        "       dqn_bench --learning [ENV [SEEDS [key=value ...]]]   the learning check\n");
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--run") == 0) {
    if (argc != 3) {
      std::fprintf(stderr, "usage: dqn_bench --run SEED\n");
      return 2;
    }
    const Solve s = solve(std::stoull(argv[2]), {}, true);
    std::printf("solved=%d steps=%lld train_seconds=%.4f\n", s.steps >= 0 ? 1 : 0,
                static_cast<long long>(s.steps >= 0 ? s.steps : s.total_steps),
                s.steps >= 0 ? s.train_seconds : s.total_train_seconds);
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--learning") == 0) {
    if (argc == 2) {
      learning({"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}, {1, 5}, {});
    } else {
      learning({argv[2]}, argc > 3 ? seed_range(argv[3]) : std::make_pair<uint64_t, uint64_t>(1, 5),
               std::vector<std::string>(argv + std::min(argc, 4), argv + argc));
    }
    return 0;
  }
  time_to_solve(argc > 1 ? seed_range(argv[1]) : std::make_pair<uint64_t, uint64_t>(1, 5),
                std::vector<std::string>(argv + std::min(argc, 2), argv + argc));
  return 0;
}
