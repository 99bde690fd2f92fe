// Environment stepping throughput: every registered environment, stepped alone
// (Env::step) and through VectorEnv with N = 1, 8 and 64 copies, on one thread,
// with uniformly random actions drawn beforehand.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_report.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/vector_env.h"
#include "simple_corridor.h"

namespace {

std::string millions(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fM", per_second / 1e6);
  return buf;
}

// Pre-drawn random actions, so that the timing measures stepping only.
struct ActionBank {
  std::vector<int64_t> ints;
  std::vector<float> floats;
  size_t per_step = 0;
  size_t count = 0;
};

ActionBank draw_actions(const cairn::Space& space, size_t per_step, size_t steps) {
  ActionBank bank;
  bank.per_step = per_step * space.size();
  bank.count = steps;
  cairn::Rng rng(1);
  if (space.is_integer()) {
    bank.ints.resize(bank.per_step * steps);
    for (size_t i = 0; i < per_step * steps; ++i) {
      space.sample(rng, std::span<int64_t>(bank.ints).subspan(i * space.size(), space.size()));
    }
  } else {
    bank.floats.resize(bank.per_step * steps);
    for (size_t i = 0; i < per_step * steps; ++i) {
      space.sample(rng, std::span<float>(bank.floats).subspan(i * space.size(), space.size()));
    }
  }
  return bank;
}

double single_steps_per_second(const std::string& id) {
  auto env = cairn::make(id);
  const size_t steps = 1 << 14;
  const ActionBank bank = draw_actions(env->action_space(), 1, steps);
  std::vector<float> obs(env->observation_space().size());
  const double ns = cairn::bench::median_ns(
      [&] {
        env->reset(std::span<float>(obs), uint64_t{0});
        for (size_t t = 0; t < steps; ++t) {
          cairn::ActionRef a;
          if (!bank.ints.empty()) {
            a.discrete =
                std::span<const int64_t>(bank.ints).subspan(t * bank.per_step, bank.per_step);
          } else {
            a.continuous =
                std::span<const float>(bank.floats).subspan(t * bank.per_step, bank.per_step);
          }
          const cairn::StepResult r = env->step(a, obs);
          if (r.terminated || r.truncated) env->reset(std::span<float>(obs));
        }
      },
      7, 1);
  return static_cast<double>(steps) / (ns * 1e-9);
}

double vector_steps_per_second(const std::string& id, size_t n) {
  cairn::VectorEnv venv(id, n);
  const size_t steps = std::max<size_t>(64, (1 << 15) / n);
  const ActionBank bank = draw_actions(venv.single_action_space(), n, steps);
  venv.reset(0);
  const double ns = cairn::bench::median_ns(
      [&] {
        for (size_t t = 0; t < steps; ++t) {
          if (!bank.ints.empty()) {
            venv.step(
                std::span<const int64_t>(bank.ints).subspan(t * bank.per_step, bank.per_step));
          } else {
            venv.step(
                std::span<const float>(bank.floats).subspan(t * bank.per_step, bank.per_step));
          }
        }
      },
      7, 1);
  return static_cast<double>(steps * n) / (ns * 1e-9);
}

}  // namespace

int main() {
  corridor::register_simple_corridor();
  cairn::bench::print_machine(
      "cairn env_bench: environment steps per second (1 thread, random actions)");
  cairn::bench::Table table(
      {"environment", "Env::step", "VectorEnv N=1", "VectorEnv N=8", "VectorEnv N=64"});
  for (const std::string& id : cairn::registered_env_ids()) {
    table.add_row(
        {id, millions(single_steps_per_second(id)), millions(vector_steps_per_second(id, 1)),
         millions(vector_steps_per_second(id, 8)), millions(vector_steps_per_second(id, 64))});
  }
  table.print();
  std::printf(
      "\nunits: million environment steps per second (median of 7 runs); episodes\n"
      "auto-reset (Env::step column: reset by hand at episode end).\n");
  return 0;
}
