// DQN on CartPole-v1 with the shipped preset (rl-baselines3-zoo's hyperparameters): the
// training time and environment steps until a deterministic evaluation reaches 500, on
// one core. Every 1000 environment steps (one iteration) the policy is evaluated
// deterministically over 10 episodes on a fresh environment; evaluation time is excluded.
// bench/dqn_sb3_cartpole.py measures Stable-Baselines3's DQN with the same
// hyperparameters and protocol (run it in the same session for a side-by-side figure).
//
//   dqn_bench [seeds]          the CartPole time-to-500 table (default 5 seeds)
//   dqn_bench --learning       the learning check, 5 seeds per preset: CartPole-v1
//                              >= 475 and Acrobot-v1 >= -100 over 100 deterministic episodes
//                              after the preset's total_timesteps, and what MountainCar-v0
//                              reaches (CI's tests/algorithms/dqn_test.cpp runs fewer seeds)
//   dqn_bench --learning ENV [SEEDS [key=value ...]]
//                              the same for one preset, seeds 1..SEEDS (default 5), with
//                              config overrides (as `cairn train --set`), for tuning
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/dqn.h"

namespace {

using Clock = std::chrono::steady_clock;

void time_to_solve(int seeds) {
  cairn::bench::print_machine(
      "DQN CartPole-v1: time and steps to a deterministic evaluation of 500");
  cairn::bench::Table table({"seed", "solved", "env steps", "train time (s)", "last eval"});
  for (int seed = 1; seed <= seeds; ++seed) {
    cairn::DQNConfig c = cairn::dqn_preset("CartPole-v1");
    c.seed = static_cast<uint64_t>(seed);
    cairn::DQN dqn(c);
    double train_seconds = 0, eval = 0;
    bool solved = false;
    while (dqn.timesteps() < 100000) {
      const auto t0 = Clock::now();
      dqn.train();
      train_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      eval = dqn.evaluate(10, true).mean_return;
      if (eval >= 500.0) {
        solved = true;
        break;
      }
    }
    char secs[32], ev[32];
    std::snprintf(secs, sizeof secs, "%.2f", train_seconds);
    std::snprintf(ev, sizeof ev, "%.1f", eval);
    table.add_row(
        {std::to_string(seed), solved ? "yes" : "no", std::to_string(dqn.timesteps()), secs, ev});
  }
  table.print();
}

void learning(const std::vector<std::string>& envs, uint64_t seeds,
              const std::vector<std::string>& overrides) {
  cairn::bench::print_machine("DQN presets: 100-episode deterministic evaluation, " +
                              std::to_string(seeds) + " seeds");
  for (const std::string& o : overrides) std::printf("override: %s\n", o.c_str());
  cairn::bench::Table table({"env", "seed", "env steps", "train time (s)", "mean return"});
  for (const std::string& env : envs) {
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
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
      table.add_row({env, std::to_string(seed), std::to_string(dqn.timesteps()), s, r});
    }
  }
  table.print();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--learning") == 0) {
    if (argc == 2) {
      learning({"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}, 5, {});
    } else {
      learning({argv[2]}, argc > 3 ? std::stoull(argv[3]) : 5,
               std::vector<std::string>(argv + std::min(argc, 4), argv + argc));
    }
    return 0;
  }
  time_to_solve(argc > 1 ? std::atoi(argv[1]) : 5);
  return 0;
}
