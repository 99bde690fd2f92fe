// End-to-end PPO benchmark: for each task with a tuned preset and seeds 1..5, on one
// core, how long training takes to reach the task's threshold by two criteria:
//   - "train100": the mean return of the last 100 training episodes (how the
//     Stable-Baselines3 figure for CartPole was taken);
//   - "eval": a deterministic evaluation of 20 episodes, run at 50 evenly spaced
//     points of the budget (evaluation time is not counted as training time);
// then the final 100-episode deterministic evaluation and the training throughput.
//
// Usage: ppo_bench [ENV_ID ...]   (default: every preset task)
//        ppo_bench --run RUN SEED  one seed of one run, one line of key=value (for
//                                  bench/side_by_side.sh); RUN is one of:
//          pendulum-rltools  Pendulum-v1, RLtools' pendulum-ppo example exactly (its
//                            configuration and 64 x 64 relu networks), 300k steps
//          pendulum-preset   Pendulum-v1, cairn's preset, 300k steps
//          cartpole-solve    CartPole-v1, cairn's preset, stopped when the mean return of
//                            the last 100 training episodes reaches 475
//          cartpole-zoo      the same stop, with rl-baselines3-zoo's configuration (what
//                            bench/sb3_cartpole.py gives Stable-Baselines3)
//        ppo_bench --flops         the whole PPO iteration (rollout inference, GAE, update) as
//                                  GFLOP/s of its matrix products and a share of the core's
//                                  measured peak FMA rate, for the CartPole preset and
//                                  RLtools' Pendulum configuration
//        ppo_bench --mujoco [ENV_ID ...]  the ten MuJoCo tasks' presets (or those named),
//                                  seeds 1-3: the preset's whole budget, its wall time
//                                  (learn()'s clock, one core) and the final deterministic
//                                  evaluation (10 episodes), against issue 12's published
//                                  references and Gymnasium's reward threshold
//        ppo_bench --machine       the processor, compiler and flags this program was built with
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/env/env_registry.h"
#include "machine_peak.h"
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

// RLtools v2.2.0 examples/pendulum-ppo/training.cpp, setting by setting: its
// LOOP_CORE_PARAMETERS (4 envs x 1024 steps, batch 256 -> 16 minibatches, 2 epochs, gamma
// 0.9, initial action std 2, no entropy bonus, observation normalisation, 64 x 64 actor
// and critic) over ppo::DefaultParameters (lambda 0.95, clip 0.2, advantages normalised,
// no learning-rate schedule, no gradient clipping, an unclipped value loss) and loop
// core::DefaultParameters (relu) with Adam at PyTorch's defaults (lr 1e-3, eps 1e-8).
cairn::PPOConfig pendulum_rltools_config() {
  cairn::PPOConfig c;
  c.env_id = "Pendulum-v1";
  c.num_envs = 4;
  c.num_steps = 1024;
  c.num_minibatches = 16;
  c.num_epochs = 2;
  c.gamma = 0.9;
  c.gae_lambda = 0.95;
  c.clip_coef = 0.2;
  c.clip_value_loss = false;
  c.ent_coef = 0.0;
  c.normalize_advantages = true;
  c.learning_rate = 1e-3;
  c.anneal_lr = false;
  c.adam_eps = 1e-8;
  c.max_grad_norm = 1e9;  // the largest the config accepts: no clipping
  c.activation = "relu";
  c.hidden_sizes = {64, 64};
  c.log_std_init = std::log(2.0);
  c.normalize_observations = true;
  c.normalize_rewards = false;
  c.total_timesteps = 300000;
  return c;
}

// rl-baselines3-zoo's PPO CartPole-v1 hyperparameters (Stable-Baselines3's run in
// bench/sb3_cartpole.py): 8 envs x 32 steps, one minibatch of 256, 20 epochs, gamma 0.98,
// lambda 0.8, no entropy bonus, lr 1e-3 decaying linearly over 100k steps, and SB3's
// defaults (64 x 64 tanh actor and critic, clip 0.2, no value clipping, gradient norm 0.5,
// Adam eps 1e-5, advantages normalised). One difference: the zoo also decays the clip
// range linearly, while cairn's stays at 0.2.
cairn::PPOConfig cartpole_zoo_config() {
  cairn::PPOConfig c;
  c.env_id = "CartPole-v1";
  c.num_envs = 8;
  c.num_steps = 32;
  c.num_minibatches = 1;
  c.num_epochs = 20;
  c.gamma = 0.98;
  c.gae_lambda = 0.8;
  c.ent_coef = 0.0;
  c.learning_rate = 1e-3;
  c.anneal_lr = true;
  c.clip_coef = 0.2;
  c.clip_value_loss = false;
  c.max_grad_norm = 0.5;
  c.adam_eps = 1e-5;
  c.hidden_sizes = {64, 64};
  c.activation = "tanh";
  c.total_timesteps = 100000;
  return c;
}

// One seed of one named run; prints one line of key=value. Training time is learn()'s
// own clock (time_elapsed: collection and updates, no evaluation), like RLtools' "Time:".
int run_one(const std::string& name, uint64_t seed) {
  cairn::PPOConfig config;
  bool solve = false;
  if (name == "pendulum-rltools") {
    config = pendulum_rltools_config();
  } else if (name == "pendulum-preset") {
    config = cairn::ppo_preset("Pendulum-v1");
  } else if (name == "cartpole-solve") {
    config = cairn::ppo_preset("CartPole-v1");
    solve = true;
  } else if (name == "cartpole-zoo") {
    config = cartpole_zoo_config();
    solve = true;
  } else {
    std::fprintf(stderr,
                 "ppo_bench --run: unknown run '%s' (pendulum-rltools, pendulum-preset, "
                 "cartpole-solve, cartpole-zoo)\n",
                 name.c_str());
    return 2;
  }
  config.seed = seed;
  cairn::PPO ppo(config);
  cairn::StopConditions stop;
  stop.timesteps = config.total_timesteps;
  bool solved = false;
  const auto results = ppo.learn(stop, [&](const cairn::TrainResult& r) {
    solved = r.episode_return_mean >= 475.0;
    return !(solve && solved);
  });
  const cairn::TrainResult& last = results.back();
  std::printf("train_seconds=%.4f steps=%lld", last.time_elapsed,
              static_cast<long long>(last.timesteps));
  if (solve) {
    std::printf(" solved=%d train100=%.2f\n", solved ? 1 : 0, last.episode_return_mean);
  } else {
    std::printf(" eval1000=%.2f\n", ppo.evaluate(1000, true).mean_return);
  }
  return 0;
}

// Floating-point operations of the dense products per sample: forward 2 in out per
// kernel; backward 2 in out for the weight gradient and, except for kernels reading the
// model's input (whose input gradient nobody needs), 2 in out for the input gradient.
struct ProductFlops {
  double forward = 0, backward = 0;
};

ProductFlops product_flops(const cairn::nn::Model<float>& model) {
  ProductFlops f;
  for (const cairn::nn::TensorInfo& t : model.parameters()) {
    const std::string suffix = "/kernel";
    if (t.name.size() < suffix.size() ||
        t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0 ||
        t.shape.size() != 2) {
      continue;
    }
    const double in = static_cast<double>(t.shape[0]), out = static_cast<double>(t.shape[1]);
    f.forward += 2 * in * out;
    f.backward += 2 * in * out;
    if (t.shape[0] != model.input_size()) f.backward += 2 * in * out;
  }
  return f;
}

int flops_report() {
  cairn::bench::print_machine("cairn ppo_bench --flops: the whole PPO iteration (1 core)");
  const cairn::bench::FmaPeak peak = cairn::bench::measure_fma_peak();
  std::printf("peak FMA throughput of one core, measured: %.1f GFLOP/s (%s)\n", peak.gflops,
              peak.isa.c_str());
  std::printf(
      "an iteration: rollout inference of every sample (the environments included), GAE, then\n"
      "epochs x (forward + backward) over the batch; FLOPs are the dense products' only\n\n");
  cairn::bench::Table table({"configuration", "network", "samples/iter", "iteration time",
                             "GFLOP/iter", "GFLOP/s", "share of peak"});
  struct Case {
    std::string name;
    cairn::PPOConfig config;
  };
  const std::vector<Case> cases = {
      {"CartPole-v1 preset", cairn::ppo_preset("CartPole-v1")},
      {"Pendulum-v1, RLtools' configuration", pendulum_rltools_config()}};
  for (const Case& c : cases) {
    cairn::PPOConfig config = c.config;
    config.seed = 1;
    cairn::PPO ppo(config);
    const ProductFlops f = product_flops(ppo.policy().model());
    const double samples = static_cast<double>(config.batch_size());
    const double flops = samples * f.forward + static_cast<double>(config.num_epochs) * samples *
                                                   (f.forward + f.backward);
    cairn::StopConditions stop;
    stop.iterations = 30;
    const auto results = ppo.learn(stop);
    std::vector<double> iteration_seconds;
    double previous = 0;
    for (const cairn::TrainResult& r : results) {
      iteration_seconds.push_back(r.time_elapsed - previous);
      previous = r.time_elapsed;
    }
    const double t = cairn::bench::median(iteration_seconds);
    std::string net;
    for (size_t i = 0; i < config.hidden_sizes.size(); ++i) {
      net += (i ? "x" : "") + std::to_string(config.hidden_sizes[i]);
    }
    net += " " + config.activation;
    table.add_row({c.name, net, cairn::bench::format_number(samples, "%.0f"),
                   cairn::bench::format_duration(t * 1e9),
                   cairn::bench::format_number(flops / 1e9, "%.3f"),
                   cairn::bench::format_number(flops / t / 1e9, "%.1f"),
                   cairn::bench::format_number(100 * flops / t / 1e9 / peak.gflops, "%.0f") + "%"});
  }
  table.print();
  return 0;
}

}  // namespace

// MuJoCo: whole budgets, wall time and the final return, 3 seeds.
int mujoco_report(int argc, char** argv) {
  struct MujocoTask {
    std::string env;
    std::string reference;
  };
  // The references are issue 12's published figures (no MuJoCo peer is installed here to
  // run beside cairn) and Gymnasium's reward threshold of the task, from its registration.
  const std::vector<std::pair<std::string, std::string>> published = {
      {"HalfCheetah-v5",
       "CleanRL PPO ~1,440 at 1M steps in ~25 min; SB3 PPO ~440 steps/s (~38 min per 1M), "
       "tuned SB3 ~5,800; target: 1M steps in under 3 min with a return above CleanRL's"},
      {"Hopper-v5", "CleanRL PPO ~2,380 at 1M steps in ~25 min"},
      {"InvertedDoublePendulum-v5", "target >= 9000"},
  };
  std::vector<MujocoTask> tasks;
  for (const char* env :
       {"InvertedPendulum-v5", "InvertedDoublePendulum-v5", "Reacher-v5", "Pusher-v5", "Swimmer-v5",
        "HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Ant-v5", "Humanoid-v5"}) {
    std::string reference;
    for (const auto& [id, figures] : published) {
      if (id == env) reference = figures + "; ";
    }
    const std::optional<double> threshold = cairn::env_spec(env).reward_threshold;
    reference +=
        threshold ? "Gymnasium's reward threshold " + cairn::bench::format_number(*threshold, "%g")
                  : std::string("Gymnasium registers no reward threshold");
    tasks.push_back({env, reference});
  }
  if (argc > 2) {
    std::vector<MujocoTask> chosen;
    for (int i = 2; i < argc; ++i) {
      for (const MujocoTask& t : tasks) {
        if (t.env == argv[i]) chosen.push_back(t);
      }
    }
    tasks = chosen;
  }
  cairn::bench::print_machine("cairn ppo_bench --mujoco: PPO presets on MuJoCo tasks (1 core)");
  for (const MujocoTask& task : tasks) {
    if (!cairn::has_ppo_preset(task.env)) {
      std::printf("%s: no tuned preset yet\n\n", task.env.c_str());
      continue;
    }
    const cairn::PPOConfig preset = cairn::ppo_preset(task.env);
    std::printf("%s, %lld steps\n  reference: %s\n", task.env.c_str(),
                static_cast<long long>(preset.total_timesteps), task.reference.c_str());
    cairn::bench::Table table({"seed", "train time", "steps/s", "final eval (10 ep)"});
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      cairn::PPOConfig config = preset;
      config.seed = seed;
      cairn::PPO ppo(config);
      cairn::StopConditions stop;
      stop.timesteps = config.total_timesteps;
      const auto results = ppo.learn(stop);
      const double seconds_taken = results.back().time_elapsed;
      table.add_row({std::to_string(seed), seconds(seconds_taken),
                     cairn::bench::format_number(
                         static_cast<double>(results.back().timesteps) / seconds_taken, "%.0f"),
                     cairn::bench::format_number(ppo.evaluate(10, true).mean_return, "%.1f")});
    }
    table.print();
    std::printf("\n");
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--machine") == 0) {
    cairn::bench::print_machine("cairn benchmarks");
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--flops") == 0) return flops_report();
  if (argc > 1 && std::strcmp(argv[1], "--mujoco") == 0) return mujoco_report(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "--run") == 0) {
    if (argc != 4) {
      std::fprintf(stderr,
                   "usage: ppo_bench --run RUN SEED (see the top of bench/ppo_bench.cpp)\n");
      return 2;
    }
    return run_one(argv[2], std::stoull(argv[3]));
  }
  if (argc > 1 && std::strcmp(argv[1], "--help") == 0) {
    std::printf(
        "usage: ppo_bench [ENV_ID ...]    time-to-threshold with the tuned presets, seeds 1..5\n"
        "       ppo_bench --run RUN SEED  one seed, one line of key=value; RUN:\n"
        "         pendulum-rltools  Pendulum-v1 with RLtools' pendulum-ppo configuration and\n"
        "                           64x64 relu networks, 300k steps, 1000-episode evaluation\n"
        "         pendulum-preset   Pendulum-v1 with cairn's preset, 300k steps, same evaluation\n"
        "         cartpole-solve    CartPole-v1 preset until the last 100 training episodes\n"
        "                           average 475\n"
        "         cartpole-zoo      the same with rl-baselines3-zoo's configuration (SB3's run)\n"
        "       ppo_bench --flops         the whole PPO iteration's GFLOP/s and share of the\n"
        "                                 core's measured peak FMA rate\n"
        "       ppo_bench --mujoco [ENV ...]  MuJoCo presets: 3 seeds, whole budget, wall time\n"
        "                                  and final return\n"
        "       ppo_bench --machine       processor, compiler and build flags\n");
    return 0;
  }
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
                     seconds(r.eval_seconds), steps(r.eval_steps),
                     cairn::bench::format_number(r.final_eval, "%.2f"), seconds(r.total_seconds),
                     cairn::bench::format_number(r.steps_per_second, "%.0f")});
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
