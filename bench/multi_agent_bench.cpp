// Multi-agent PPO against PPO on the same work: MultiAgentPPO on MultiAgentCartPole-v0 with 8
// agents in one copy, all on one shared policy, against PPO on 8 CartPole-v1s (num_envs 8),
// with the same network (64x64 tanh) and hyperparameters (128 steps, 4 epochs of 4
// minibatches: 1024 samples per iteration on both sides). Issue target: multi-agent within
// 10% of single-agent, in agent transitions per second.
//
// Units: agent transitions per second (one agent acting once: a sample of its policy). PPO
// takes 8 per vector step. MultiAgentPPO takes one per live agent per copy step: in
// MultiAgentCartPole an agent whose CartPole ended leaves and waits for the others (the copy
// resets when all have ended), so a copy step is 8 agent transitions at most. They are
// counted exactly: the timed run uses the real ids, and a replay of the same config and seed
// on a copy of the environment whose CartPoles count their steps gives each iteration's
// count (deterministic: the replay's episode counters are checked against the timed run's).
//
// Rows, measured interleaved (a, b, a, b, ...; the first of each pair alternates) in blocks of
// `iterations` train() calls after warm-up iterations, median over the repetitions:
//   - training iteration: train() (rollout, GAE, update);
//   - rollout only, multi-agent: the shared policy not trained ("trained": false), so train()
//     is the rollout alone. PPO has no such mode (its rollout is not separable through its
//     public API), so its cell is empty; the environment row below compares the rollouts'
//     environment part;
//   - environments only: MultiAgentVectorEnv (1 copy of 8 agents) against VectorEnv (8
//     CartPole-v1s), fixed alternating actions, no policy.
//
// Usage: multi_agent_bench [--repetitions N] [--iterations N]   (defaults 9 and 10)
//        multi_agent_bench --profile multi|ppo N   N iterations of one side alone (for perf)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_report.h"
#include "cairn/algorithms/multi_agent_ppo.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/env/multi_agent_vector_env.h"
#include "cairn/env/vector_env.h"
#include "cairn/env/wrapper.h"
#include "cairn/error.h"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kAgents = 8;
constexpr int kEarly = 3;   // warm-up iterations of the first measurement
constexpr int kLate = 150;  // and of the second, when most agents live to the time limit
constexpr const char* kCountedId = "BenchCountedMultiAgentCartPole-v0";

// Steps taken by the counted environments (the replay's agent transitions).
int64_t g_counted_steps = 0;

// CartPole-v1 that counts its steps; its bits are CartPole-v1's.
class CountedEnv : public cairn::Wrapper {
 public:
  using cairn::Wrapper::Wrapper;

 protected:
  cairn::StepResult do_step(cairn::ActionRef action, std::span<float> obs) override {
    ++g_counted_steps;
    return cairn::Wrapper::do_step(action, obs);
  }
};

void register_counted_env() {
  cairn::register_multi_agent_env({
      .id = kCountedId,
      .factory = [](cairn::EnvOptions& options) -> std::unique_ptr<cairn::MultiAgentEnv> {
        const int64_t n = options.integer("num_agents", 2);
        std::vector<std::unique_ptr<cairn::Env>> envs;
        for (int64_t i = 0; i < n; ++i) {
          envs.push_back(std::make_unique<CountedEnv>(cairn::make("CartPole-v1")));
        }
        return std::make_unique<cairn::IndependentAgents>(std::move(envs));
      },
      .reward_threshold = 475.0,
      .description = "MultiAgentCartPole-v0 whose CartPoles count their steps (the bench)",
  });
}

// The settings both sides share.
cairn::PPOConfig shared_settings() {
  cairn::PPOConfig c;
  c.num_steps = 128;
  c.num_epochs = 4;
  c.num_minibatches = 4;
  c.hidden_sizes = {64, 64};
  c.activation = "tanh";
  c.learning_rate = 2.5e-4;
  c.anneal_lr = false;
  c.total_timesteps = 100000000;
  c.seed = 1;
  return c;
}

cairn::PPOConfig single_agent_config() {
  cairn::PPOConfig c = shared_settings();
  c.env_id = "CartPole-v1";
  c.num_envs = kAgents;
  return c;
}

cairn::MultiAgentPPOConfig multi_agent_config(const std::string& env_id, bool trained) {
  json j = shared_settings().to_json();
  j["env_id"] = env_id;
  j["env_options"] = {{"num_agents", kAgents}};
  j["num_envs"] = 1;
  j["policies"] = {{"shared", trained ? json::object() : json{{"trained", false}}}};
  j["policy_mapping"] = {{"*", "shared"}};
  return cairn::MultiAgentPPOConfig::from_json(j);
}

// One side of a comparison: a block of work, timed, with the agent transitions it took.
struct Side {
  std::string name;
  std::function<int64_t()> block;  // runs a block, returns its agent transitions
  std::vector<double> rates;       // agent transitions per second, per repetition
  std::vector<double> block_seconds;
};

void measure(Side& a, Side& b, int repetitions) {
  for (int r = 0; r < repetitions; ++r) {
    Side* order[2] = {&a, &b};
    if (r % 2 == 1) std::swap(order[0], order[1]);
    for (Side* s : order) {
      const auto t0 = Clock::now();
      const int64_t transitions = s->block();
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      s->rates.push_back(static_cast<double>(transitions) / seconds);
      s->block_seconds.push_back(seconds);
    }
  }
}

// Each iteration's agent transitions of a multi-agent config, from a replay on the counted
// environment; checks that the replay is the timed run (same episode counts and returns).
std::vector<int64_t> replay_counts(bool trained, const std::vector<cairn::TrainResult>& timed) {
  cairn::MultiAgentPPO replay(multi_agent_config(kCountedId, trained));
  std::vector<int64_t> counts;
  for (const cairn::TrainResult& t : timed) {
    const int64_t before = g_counted_steps;
    const cairn::TrainResult r = replay.train();
    counts.push_back(g_counted_steps - before);
    const bool same_return = r.episode_return_mean == t.episode_return_mean ||
                             (r.episode_return_mean != r.episode_return_mean &&
                              t.episode_return_mean != t.episode_return_mean);
    if (r.episodes != t.episodes || !same_return) {
      throw cairn::Error("the counting replay differs from the timed run at iteration " +
                         std::to_string(t.iteration));
    }
  }
  return counts;
}

// Agent transitions per second, in thousands.
std::string rate(double v) {
  return cairn::bench::format_number(v / 1e3, "%.0fk");
}

// An algorithm comparison: the multi-agent side's train() blocks are timed with the real
// environment; its transitions are filled in from the replay afterwards.
struct Row {
  std::string what;
  double multi = 0, single = 0;  // medians, agent transitions per second
  double multi_block = 0, single_block = 0;
  double transitions_per_copy_step = 0;  // multi-agent side
};

Row compare_training(bool trained, int warmup, int repetitions, int iterations) {
  cairn::MultiAgentPPO multi(multi_agent_config("MultiAgentCartPole-v0", trained));
  std::unique_ptr<cairn::PPO> single;
  if (trained) single = std::make_unique<cairn::PPO>(single_agent_config());
  std::vector<cairn::TrainResult> multi_results;
  for (int i = 0; i < warmup; ++i) {
    multi_results.push_back(multi.train());
    if (single) single->train();
  }
  // The multi-agent blocks' transitions are known after the replay: record the iterations.
  std::vector<std::pair<size_t, size_t>> multi_blocks;  // [first, last) in multi_results
  Side a{"multi", [&] {
           const size_t first = multi_results.size();
           for (int i = 0; i < iterations; ++i) multi_results.push_back(multi.train());
           multi_blocks.emplace_back(first, multi_results.size());
           return int64_t{0};
         }};
  const int64_t single_per_block =
      static_cast<int64_t>(iterations) * kAgents * shared_settings().num_steps;
  Side b{"single", [&] {
           for (int i = 0; i < iterations; ++i) single->train();
           return single_per_block;
         }};
  Row row;
  if (single) {
    measure(a, b, repetitions);
    row.single = cairn::bench::median(b.rates);
    row.single_block = cairn::bench::median(b.block_seconds);
  } else {
    for (int r = 0; r < repetitions; ++r) {
      const auto t0 = Clock::now();
      a.block();
      a.block_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  const std::vector<int64_t> counts = replay_counts(trained, multi_results);
  std::vector<double> rates;
  int64_t total = 0, steps = 0;
  for (size_t r = 0; r < multi_blocks.size(); ++r) {
    int64_t transitions = 0;
    for (size_t i = multi_blocks[r].first; i < multi_blocks[r].second; ++i) {
      transitions += counts[i];
    }
    rates.push_back(static_cast<double>(transitions) / a.block_seconds[r]);
    total += transitions;
    steps += static_cast<int64_t>(multi_blocks[r].second - multi_blocks[r].first) *
             shared_settings().num_steps;
  }
  row.multi = cairn::bench::median(rates);
  row.multi_block = cairn::bench::median(a.block_seconds);
  row.transitions_per_copy_step = static_cast<double>(total) / static_cast<double>(steps);
  return row;
}

// The environments alone, with fixed alternating actions.
Row compare_environments(int repetitions, int iterations) {
  const size_t steps = static_cast<size_t>(iterations * shared_settings().num_steps);
  cairn::MultiAgentVectorEnv multi("MultiAgentCartPole-v0", 1, {{"num_agents", kAgents}});
  multi.reset(1);
  std::vector<cairn::MultiAgentActions> actions = {multi.spec().make_actions()};
  cairn::VectorEnv single("CartPole-v1", kAgents);
  single.reset(1);
  std::vector<int64_t> single_actions(kAgents);
  uint64_t tick = 0;
  Side a{"multi", [&] {
           int64_t transitions = 0;
           for (size_t t = 0; t < steps; ++t) {
             const cairn::MultiAgentStep& next = multi.observations(0);
             actions[0].clear();
             for (size_t i = 0; i < kAgents; ++i) {
               if (next.has_observation[i]) {
                 actions[0].set(i, static_cast<int64_t>((tick + i) % 2));
                 ++transitions;
               }
             }
             multi.step(actions);
             ++tick;
           }
           return transitions;
         }};
  Side b{"single", [&] {
           for (size_t t = 0; t < steps; ++t) {
             for (size_t i = 0; i < kAgents; ++i) {
               single_actions[i] = static_cast<int64_t>((tick + i) % 2);
             }
             single.step(std::span<const int64_t>(single_actions));
             ++tick;
           }
           return static_cast<int64_t>(steps) * kAgents;
         }};
  for (int w = 0; w < 2; ++w) {
    a.block();
    b.block();
  }
  measure(a, b, repetitions);
  Row row;
  row.multi = cairn::bench::median(a.rates);
  row.single = cairn::bench::median(b.rates);
  row.multi_block = cairn::bench::median(a.block_seconds);
  row.single_block = cairn::bench::median(b.block_seconds);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  int repetitions = 9, iterations = 10;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0) {
      std::printf(
          "usage: multi_agent_bench [--repetitions N] [--iterations N]\n"
          "  MultiAgentPPO (MultiAgentCartPole-v0, 8 agents, one shared policy) against PPO\n"
          "  (8 CartPole-v1s) in agent transitions per second; N blocks of N train() calls\n"
          "  each (defaults 9 and 10), interleaved (see the top of bench/multi_agent_bench.cpp)\n");
      return 0;
    }
    if (i + 2 < argc && std::strcmp(argv[i], "--profile") == 0) {
      // One side alone, for perf: --profile multi|ppo ITERATIONS.
      const std::string side = argv[i + 1];
      const int n = std::atoi(argv[i + 2]);
      if (side == "multi") {
        cairn::MultiAgentPPO multi(multi_agent_config("MultiAgentCartPole-v0", true));
        for (int k = 0; k < n; ++k) multi.train();
      } else {
        cairn::PPO single(single_agent_config());
        for (int k = 0; k < n; ++k) single.train();
      }
      return 0;
    }
    if (i + 1 < argc && std::strcmp(argv[i], "--repetitions") == 0) {
      repetitions = std::atoi(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--iterations") == 0) {
      iterations = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "multi_agent_bench: unknown argument '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  if (repetitions < 1 || iterations < 1) {
    std::fprintf(stderr, "multi_agent_bench: --repetitions and --iterations must be >= 1\n");
    return 2;
  }
  register_counted_env();
  cairn::bench::print_machine(
      "cairn multi_agent_bench: MultiAgentPPO, 8 agents on one shared policy, against PPO on 8 "
      "CartPole-v1s (1 core)");
  const cairn::PPOConfig s = shared_settings();
  std::printf(
      "both: 64x64 tanh actor and critic, %lld steps per iteration, %lld epochs x %lld "
      "minibatches,\n1024 samples per iteration (PPO: 8 envs x 128 steps; multi-agent: 1 copy "
      "x 8 agents x 128 steps,\nfewer when agents have ended and wait for the copy's reset)\n"
      "unit: agent transitions per second (PPO: 8 per vector step; multi-agent: 1 per live "
      "agent per copy step,\ncounted exactly); medians of %d blocks of %d iterations, "
      "interleaved, after %d warm-up iterations (%d for the second row)\n\n",
      static_cast<long long>(s.num_steps), static_cast<long long>(s.num_epochs),
      static_cast<long long>(s.num_minibatches), repetitions, iterations, kEarly, kLate);

  const Row full = compare_training(true, kEarly, repetitions, iterations);
  const Row late = compare_training(true, kLate, repetitions, iterations);
  const Row rollout = compare_training(false, kEarly, repetitions, iterations);
  const Row envs = compare_environments(repetitions, iterations);

  cairn::bench::Table table({"what", "multi-agent (agent transitions/s)",
                             "PPO 8 envs (agent transitions/s)", "multi / PPO", "target"});
  table.add_row({"training iteration (rollout + GAE + update)", rate(full.multi), rate(full.single),
                 cairn::bench::format_number(full.multi / full.single, "%.2f"), ">= 0.90"});
  table.add_row({"the same after " + std::to_string(kLate) + " iterations", rate(late.multi),
                 rate(late.single), cairn::bench::format_number(late.multi / late.single, "%.2f"),
                 ">= 0.90"});
  // The count: 8 agent-steps per multi-agent step, whether or not every agent is live.
  const double nominal = static_cast<double>(iterations * s.num_steps * kAgents) / full.multi_block;
  table.add_row({"the same, counting 8 agent-steps per copy step", rate(nominal), rate(full.single),
                 cairn::bench::format_number(nominal / full.single, "%.2f"), ">= 0.90"});
  table.add_row(
      {"rollout only (policy not trained)", rate(rollout.multi), "n/a (no such mode)", "-", "-"});
  table.add_row({"environments only (fixed actions, no policy)", rate(envs.multi),
                 rate(envs.single), cairn::bench::format_number(envs.multi / envs.single, "%.2f"),
                 "-"});
  table.print();
  std::printf(
      "\nmulti-agent agent transitions per copy step: %.2f of %d (training, from iteration %d), "
      "%.2f (from iteration %d), %.2f (rollout only)\n",
      full.transitions_per_copy_step, kAgents, kEarly + 1, late.transitions_per_copy_step,
      kLate + 1, rollout.transitions_per_copy_step);
  std::printf(
      "median block times (%d iterations): training multi-agent %.1f ms, PPO %.1f ms; after %d "
      "iterations %.1f ms and %.1f ms; rollout-only multi-agent %.1f ms\n",
      iterations, full.multi_block * 1e3, full.single_block * 1e3, kLate, late.multi_block * 1e3,
      late.single_block * 1e3, rollout.multi_block * 1e3);
  return 0;
}
