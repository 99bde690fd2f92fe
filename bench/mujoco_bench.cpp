// MuJoCo environments against the engine: for every registered MuJoCo environment, the
// environment's steps per second (Env::step through make(id), time limit and auto-reset
// included) beside the raw rate of the same work done directly on MuJoCo (set the controls,
// frame_skip calls of mj_step on a copy of the same model, no environment), on one core,
// with the same pre-drawn random actions. The overhead column is what cairn adds per step:
// the observation, the reward terms, mj_rnePostConstraint (which Gymnasium also runs after
// stepping, for contact forces) and the wrappers. Target (issue 12): under 10% on
// HalfCheetah. Then VectorEnv throughput with 8 copies on 1 and 2 threads.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_report.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/vector_env.h"

#if CAIRN_HAVE_MUJOCO
#include "cairn/env/mujoco/mujoco_env.h"

namespace {

constexpr size_t kSteps = 2000;  // environment steps per timed run

std::vector<float> draw_actions(const cairn::Space& space, size_t rows) {
  std::vector<float> actions(rows * space.size());
  cairn::Rng rng(1);
  for (size_t i = 0; i < rows; ++i)
    space.sample(rng, std::span<float>(actions).subspan(i * space.size(), space.size()));
  return actions;
}

struct Rates {
  double env_steps_per_second = 0;
  double raw_steps_per_second = 0;  // environment steps' worth of bare mj_step calls
  int frame_skip = 0;
};

Rates measure(const std::string& id) {
  Rates rates;
  std::unique_ptr<cairn::Env> env = cairn::make(id);
  const auto& mj = dynamic_cast<const cairn::MujocoEnv&>(env->unwrapped());
  const size_t nu = env->action_space().size();
  const std::vector<float> actions = draw_actions(env->action_space(), kSteps);
  std::vector<float> obs(env->observation_space().size());
  rates.frame_skip = mj.frame_skip();

  const double env_ns = cairn::bench::median_ns(
      [&] {
        env->reset(std::span<float>(obs), uint64_t{0});
        for (size_t t = 0; t < kSteps; ++t) {
          cairn::ActionRef a;
          a.continuous = std::span<const float>(actions).subspan(t * nu, nu);
          const cairn::StepResult r = env->step(a, obs);
          if (r.terminated || r.truncated) env->reset(std::span<float>(obs));
        }
      },
      7, 1);
  rates.env_steps_per_second = static_cast<double>(kSteps) / (env_ns * 1e-9);

  // The same model, bare: controls and frame_skip mj_step calls per environment step, from
  // the environment's reset state.
  env->reset(std::span<float>(obs), uint64_t{0});
  mjModel* m = mj_copyModel(nullptr, &mj.model());
  mjData* d = mj_makeData(m);
  const double raw_ns = cairn::bench::median_ns(
      [&] {
        mj_resetData(m, d);
        for (int i = 0; i < m->nq; ++i) d->qpos[i] = mj.data().qpos[i];
        for (int i = 0; i < m->nv; ++i) d->qvel[i] = mj.data().qvel[i];
        for (size_t t = 0; t < kSteps; ++t) {
          for (size_t j = 0; j < nu; ++j) d->ctrl[j] = actions[t * nu + j];
          for (int k = 0; k < rates.frame_skip; ++k) mj_step(m, d);
        }
      },
      7, 1);
  mj_deleteData(d);
  mj_deleteModel(m);
  rates.raw_steps_per_second = static_cast<double>(kSteps) / (raw_ns * 1e-9);
  return rates;
}

double vector_steps_per_second(const std::string& id, size_t n, size_t threads) {
  cairn::VectorEnv venv(id, n, nlohmann::json::object(), threads);
  const size_t steps = kSteps / n * 4;
  const std::vector<float> actions = draw_actions(venv.single_action_space(), n * steps);
  const size_t row = n * venv.single_action_space().size();
  venv.reset(0);
  const double ns = cairn::bench::median_ns(
      [&] {
        for (size_t t = 0; t < steps; ++t)
          venv.step(std::span<const float>(actions).subspan(t * row, row));
      },
      7, 1);
  return static_cast<double>(steps * n) / (ns * 1e-9);
}

std::string thousands(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fk", per_second / 1e3);
  return buf;
}

}  // namespace

int main() {
  cairn::bench::print_machine(
      "cairn mujoco_bench: MuJoCo environment steps per second against bare mj_step (1 core)");
  cairn::bench::Table table({"environment", "frame skip", "bare mj_step (env steps/s)",
                             "Env::step (steps/s)", "overhead", "VectorEnv N=8, 1 thread",
                             "VectorEnv N=8, 2 threads"});
  for (const std::string& id : cairn::registered_env_ids()) {
    if (dynamic_cast<const cairn::MujocoEnv*>(&cairn::make(id)->unwrapped()) == nullptr) continue;
    const Rates r = measure(id);
    char overhead[32];
    std::snprintf(overhead, sizeof overhead, "%+.1f%%",
                  100.0 * (r.raw_steps_per_second / r.env_steps_per_second - 1.0));
    table.add_row({id, std::to_string(r.frame_skip), thousands(r.raw_steps_per_second),
                   thousands(r.env_steps_per_second), overhead,
                   thousands(vector_steps_per_second(id, 8, 1)),
                   thousands(vector_steps_per_second(id, 8, 2))});
  }
  table.print();
  std::printf(
      "\nunits: thousand environment steps per second (median of 7 runs of %zu steps,\n"
      "uniform random actions drawn beforehand). bare mj_step: the same model and actions,\n"
      "frame_skip mj_step calls per environment step, no environment. overhead: the time\n"
      "Env::step takes beyond them. VectorEnv columns: 8 copies, auto-reset.\n",
      kSteps);
  return 0;
}

#else
int main() {
  std::fprintf(stderr,
               "mujoco_bench: this cairn was built without MuJoCo (Debian: libmujoco-dev; "
               "scripts/setup.sh installs it)\n");
  return 1;
}
#endif
