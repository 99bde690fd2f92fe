// HalfCheetah-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/half_cheetah_v5.py):
// observation layout, reward terms and info computed by hand from the MuJoCo state, the
// step against MuJoCo stepped directly, the 1000-step truncation, the options, and the
// reset states for seeds 0-9 against Gymnasium's formula evaluated with NumPy's generator
// (/usr/bin/python3 with python3-numpy; a missing NumPy fails the test).
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/mujoco/half_cheetah.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

constexpr int kCheetahNq = 9, kCheetahNv = 9, kCheetahNu = 6;

HalfCheetah& unwrapped_cheetah(Env& env) {
  return dynamic_cast<HalfCheetah&>(env.unwrapped());
}

// A deterministic, varied action sequence in [-1, 1] (some components at the bounds).
std::vector<float> cheetah_action(int step) {
  std::vector<float> a(kCheetahNu);
  for (int j = 0; j < kCheetahNu; ++j) {
    a[j] = static_cast<float>(std::sin(0.37 * step + 1.3 * j));
    if ((step + j) % 7 == 0) a[j] = (j % 2 == 0) ? 1.0f : -1.0f;
  }
  return a;
}

TEST(HalfCheetahV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("HalfCheetah-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 4800.0);
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 17u);
  EXPECT_EQ(env->action_space().size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -1.0f);
    EXPECT_EQ(env->action_space().high()[i], 1.0f);
  }
  HalfCheetah& c = unwrapped_cheetah(*env);
  EXPECT_EQ(c.model().nq, kCheetahNq);
  EXPECT_EQ(c.model().nv, kCheetahNv);
  EXPECT_EQ(c.frame_skip(), 5);
  EXPECT_DOUBLE_EQ(c.dt(), 0.05);
}

TEST(HalfCheetahV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  std::vector<float> obs = env->reset(uint64_t{4});
  HalfCheetah& c = unwrapped_cheetah(*env);
  const mjData& d = c.data();
  EXPECT_EQ(c.info().at("x_position"), d.qpos[0]);  // the reset info
  EXPECT_EQ(c.info().at("reward_forward"), 0.0);
  double moved = 0.0;
  for (int step = 0; step < 200; ++step) {
    const double x_before = d.qpos[0];
    const std::vector<float> action = cheetah_action(step);
    const Transition t = env->step(std::span<const float>(action));
    // Observation: qpos[1:] then qvel, rounded to float32.
    ASSERT_EQ(t.observation.size(), 17u);
    for (int i = 1; i < kCheetahNq; ++i) {
      EXPECT_EQ(t.observation[i - 1], static_cast<float>(d.qpos[i])) << "step " << step;
    }
    for (int i = 0; i < kCheetahNv; ++i) {
      EXPECT_EQ(t.observation[kCheetahNq - 1 + i], static_cast<float>(d.qvel[i]))
          << "step " << step;
    }
    // reward = forward_reward - ctrl_cost, with the default weights 1 and 0.1.
    const double x_velocity = (d.qpos[0] - x_before) / 0.05;
    float squared = 0.0f;
    for (float a : action) squared += a * a;
    EXPECT_DOUBLE_EQ(c.info().at("x_velocity"), x_velocity);
    EXPECT_EQ(c.info().at("x_position"), d.qpos[0]);
    EXPECT_DOUBLE_EQ(c.info().at("reward_forward"), 1.0 * x_velocity);
    EXPECT_EQ(c.info().at("reward_ctrl"), -(0.1 * static_cast<double>(squared)));
    EXPECT_EQ(t.reward, c.info().at("reward_forward") + c.info().at("reward_ctrl"));
    EXPECT_GT(squared, 0.0f);
    EXPECT_FALSE(t.terminated);
    EXPECT_FALSE(t.truncated);
    moved += std::fabs(d.qpos[0] - x_before);
  }
  EXPECT_GT(moved, 0.1);  // the robot moved: the terms were not trivially zero
}

TEST(HalfCheetahV5, AStepIsFiveMjStepsOfTheSameModel) {
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  env->reset(uint64_t{7});
  HalfCheetah& c = unwrapped_cheetah(*env);
  MjModelPtr m = load_mjcf_text(builtin_mjcf("half_cheetah.xml"), "half_cheetah.xml");
  MjDataPtr d(mj_makeData(m.get()));
  for (int i = 0; i < kCheetahNq; ++i) d->qpos[i] = c.data().qpos[i];
  for (int i = 0; i < kCheetahNv; ++i) d->qvel[i] = c.data().qvel[i];
  mj_forward(m.get(), d.get());
  for (int step = 0; step < 20; ++step) {
    const std::vector<float> action = cheetah_action(step);
    env->step(std::span<const float>(action));
    for (int j = 0; j < kCheetahNu; ++j) d->ctrl[j] = action[j];
    for (int k = 0; k < 5; ++k) mj_step(m.get(), d.get());
    for (int i = 0; i < kCheetahNq; ++i) ASSERT_EQ(c.data().qpos[i], d->qpos[i]) << step;
    for (int i = 0; i < kCheetahNv; ++i) ASSERT_EQ(c.data().qvel[i], d->qvel[i]) << step;
    ASSERT_EQ(c.data().time, d->time);
  }
}

TEST(HalfCheetahV5, TruncatesAfterOneThousandStepsAndNeverTerminates) {
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  env->reset(uint64_t{0});
  for (int step = 1; step <= 1000; ++step) {
    const std::vector<float> action = cheetah_action(step);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_FALSE(t.terminated);
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(HalfCheetahV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + np_random.uniform(low=-s, high=s, size=nq), then
  // qvel = init_qvel + s * np_random.standard_normal(nv), s = 0.1. NumPy prints the noise;
  // init_qpos/init_qvel come from the model.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  u = r.uniform(low=-0.1, high=0.1, size=9)\n"
      "  n = 0.1 * r.standard_normal(9)\n"
      "  print(\" \".join(float(v).hex() for v in np.concatenate([u, n])))\n");
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  const HalfCheetah& c = unwrapped_cheetah(*env);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    std::vector<double> state(c.data().qpos, c.data().qpos + kCheetahNq);  // state_vector()
    state.insert(state.end(), c.data().qvel, c.data().qvel + kCheetahNv);
    std::istringstream words(line);
    for (size_t i = 0; i < 18; ++i) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      const double noise = std::strtod(word.c_str(), nullptr);
      const double base = i < 9 ? c.init_qpos()[i] : c.init_qvel()[i - 9];
      EXPECT_EQ(state[i], base + noise) << "seed " << seeds << " element " << i;
      if (i >= 1) {
        EXPECT_EQ(obs[i - 1], static_cast<float>(base + noise)) << "seed " << seeds;
      }
    }
    EXPECT_EQ(c.info().at("x_position"), state[0]);
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
}

TEST(HalfCheetahV5, ControlCostEqualsGymnasiumsNumPyExpression) {
  // Gymnasium: ctrl_cost = ctrl_cost_weight * np.sum(np.square(action)) for the float32
  // action; NumPy evaluates it for the same 50 actions.
  std::string actions = "[";
  for (int step = 0; step < 50; ++step) {
    for (float a : cheetah_action(step)) actions += std::to_string(a) + ",";
  }
  actions += "]";
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "a = np.array(" +
      actions +
      ", dtype=np.float32).reshape(50, 6)\n"
      "for row in a:\n"
      "  print(float(0.1 * np.sum(np.square(row))).hex())\n");
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  env->reset(uint64_t{2});
  const HalfCheetah& c = unwrapped_cheetah(*env);
  std::istringstream lines(out);
  int compared = 0;
  for (std::string line; std::getline(lines, line); ++compared) {
    // The action NumPy saw: the decimal text as a Python float, then float32.
    std::vector<float> action = cheetah_action(compared);
    for (float& a : action) a = static_cast<float>(std::strtod(std::to_string(a).c_str(), nullptr));
    env->step(std::span<const float>(action));
    EXPECT_EQ(c.info().at("reward_ctrl"), -std::strtod(line.c_str(), nullptr))
        << "step " << compared << ": NumPy printed " << line;
  }
  EXPECT_EQ(compared, 50) << "NumPy printed: " << out;
}

TEST(HalfCheetahV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("HalfCheetah-v5", {{"forward_reward_weight", 2.0},
                              {"ctrl_cost_weight", 0.0},
                              {"reset_noise_scale", 0.0},
                              {"exclude_current_positions_from_observation", false},
                              {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  ASSERT_EQ(obs.size(), 18u);
  HalfCheetah& c = unwrapped_cheetah(*env);
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(obs[i], static_cast<float>(c.init_qpos()[i]));
  for (size_t i = 9; i < 18; ++i) EXPECT_EQ(obs[i], static_cast<float>(c.init_qvel()[i - 9]));
  EXPECT_EQ(c.frame_skip(), 2);
  const double x_before = c.data().qpos[0];
  const std::vector<float> action = cheetah_action(3);
  const Transition t = env->step(std::span<const float>(action));
  EXPECT_EQ(t.observation[0], static_cast<float>(c.data().qpos[0]));  // rootx included
  const double x_velocity = (c.data().qpos[0] - x_before) / c.dt();
  EXPECT_DOUBLE_EQ(c.dt(), 2 * c.model().opt.timestep);
  EXPECT_DOUBLE_EQ(t.reward, 2.0 * x_velocity);
  EXPECT_EQ(c.info().at("reward_ctrl"), 0.0);

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/half_cheetah.xml";
  EXPECT_EQ(make("HalfCheetah-v5", {{"xml_file", gymnasium_model}})->observation_space().size(),
            17u);
  EXPECT_ERROR_CONTAINS(make("HalfCheetah-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("HalfCheetah-v5", {{"healthy_reward", 1.0}}),
                        "unknown option(s) for 'HalfCheetah-v5': 'healthy_reward'");
  EXPECT_ERROR_CONTAINS(make("HalfCheetah-v5", {{"ctrl_cost_weight", "high"}}), "ctrl_cost_weight");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(HalfCheetahV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("HalfCheetah-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
