// End-to-end PPO benchmark: for each task with a tuned preset and seeds 1..5, on one
// core, how long training takes to reach the task's threshold by two criteria:
//   - "train100": the mean return of the last 100 training episodes (how the
//     Stable-Baselines3 figure for CartPole was taken);
//   - "eval": a deterministic evaluation of 20 episodes, run at 50 evenly spaced
//     points of the budget (evaluation time is not counted as training time);
// then the final 100-episode deterministic evaluation and the training throughput.
//
// Usage: ppo_bench [ENV_ID ...]   (default: every preset task)
#include <cstdio>
#include <string>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/ppo.h"
#include "simple_corridor.h"

namespace {

struct Task {
  std::string env;
  double threshold;
  std::string reference;  // the figure cairn is measured against
};

struct Row {
  double train100_seconds = -1, eval_seconds = -1;
  int64_t train100_steps = -1, eval_steps = -1;
  double final_eval = 0, total_seconds = 0, steps_per_second = 0;
};

Row run(const Task& task, uint64_t seed) {
  cairn::PPOConfig config = cairn::ppo_preset(task.env);
  config.seed = seed;
  cairn::PPO ppo(config);
  Row row;
  const int64_t eval_every = config.total_timesteps / 50;
  int64_t next_eval = eval_every;
  cairn::StopConditions stop;
  stop.timesteps = config.total_timesteps;
  const auto results = ppo.learn(stop, [&](const cairn::TrainResult& r) {
    if (row.train100_steps < 0 && r.episode_return_mean >= task.threshold) {
      row.train100_steps = r.timesteps;
      row.train100_seconds = r.time_elapsed;
    }
    if (row.eval_steps < 0 && r.timesteps >= next_eval) {
      next_eval += eval_every;
      if (ppo.evaluate(20, true, 777).mean_return >= task.threshold) {
        row.eval_steps = r.timesteps;
        row.eval_seconds = r.time_elapsed;
      }
    }
    return true;
  });
  row.total_seconds = results.back().time_elapsed;
  row.steps_per_second = static_cast<double>(results.back().timesteps) / row.total_seconds;
  row.final_eval = ppo.evaluate(100, true).mean_return;
  return row;
}

std::string seconds(double s) {
  if (s < 0) return "not reached";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

std::string steps(int64_t n) {
  return n < 0 ? "-" : std::to_string(n);
}

std::string number(double v, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  corridor::register_simple_corridor();
  std::vector<Task> tasks = {
      {"CartPole-v1", 475.0,
       "SB3 PPO (zoo, 8 envs, 1 thread): train100 solved in 12-19 s, median 15 s, ~5,100 steps/s"},
      {"Acrobot-v1", -100.0, ""},
      {"Pendulum-v1", -250.0,
       "RLtools PPO (same configuration, 300k steps): ~3.7 s, evaluates at ~-174"},
      {"SimpleCorridor-v0", 0.6 - 1e-9, ""},
  };
  if (argc > 1) {
    std::vector<Task> chosen;
    for (int i = 1; i < argc; ++i) {
      for (const Task& t : tasks) {
        if (t.env == argv[i]) chosen.push_back(t);
      }
    }
    tasks = chosen;
  }
  cairn::bench::print_machine(
      "cairn ppo_bench: PPO time-to-threshold with the tuned presets (1 core)");
  for (const Task& task : tasks) {
    std::printf("%s (threshold %.1f)%s%s\n", task.env.c_str(), task.threshold,
                task.reference.empty() ? "" : "\n  reference: ", task.reference.c_str());
    cairn::bench::Table table({"seed", "train100 time", "train100 steps", "eval time", "eval steps",
                               "final eval (100 ep)", "train time", "steps/s"});
    std::vector<double> solve_times;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      const Row r = run(task, seed);
      table.add_row({std::to_string(seed), seconds(r.train100_seconds), steps(r.train100_steps),
                     seconds(r.eval_seconds), steps(r.eval_steps), number(r.final_eval, "%.2f"),
                     seconds(r.total_seconds), number(r.steps_per_second, "%.0f")});
      if (r.train100_seconds >= 0) solve_times.push_back(r.train100_seconds);
    }
    table.print();
    if (!solve_times.empty()) {
      std::printf("  median train100 time over the seeds that reached it: %.2f s (%zu of 5)\n\n",
                  cairn::bench::median(solve_times), solve_times.size());
    } else {
      std::printf("\n");
    }
  }
  return 0;
}
