// Swimmer-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/swimmer_v5.py):
// observation layout, reward terms and info computed by hand from the MuJoCo state, the
// 1000-step truncation, the options, and the reset states for seeds 0-9 against Gymnasium's
// formula evaluated with NumPy's generator (/usr/bin/python3 with python3-numpy; a missing
// NumPy fails the test).
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <cmath>
#include <cstdlib>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "cairn/env/mujoco/swimmer.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

Swimmer& unwrapped_swimmer(Env& env) {
  return dynamic_cast<Swimmer&>(env.unwrapped());
}

// An undulating gait: the two hinges driven out of phase (some steps at the bounds).
std::vector<float> swimmer_action(int step) {
  std::vector<float> a = {static_cast<float>(std::sin(0.5 * step)),
                          static_cast<float>(std::sin(0.5 * step - 1.2))};
  if (step % 9 == 0) a[0] = 1.0f;
  return a;
}

TEST(SwimmerV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Swimmer-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 360.0);
  std::unique_ptr<Env> env = make("Swimmer-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 8u);
  ASSERT_EQ(env->action_space().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -1.0f);
    EXPECT_EQ(env->action_space().high()[i], 1.0f);
  }
  Swimmer& s = unwrapped_swimmer(*env);
  EXPECT_EQ(s.model().nq, 5);
  EXPECT_EQ(s.model().nv, 5);
  EXPECT_EQ(s.frame_skip(), 4);
  EXPECT_DOUBLE_EQ(s.dt(), 0.04);
}

TEST(SwimmerV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("Swimmer-v5");
  env->reset(uint64_t{4});
  Swimmer& s = unwrapped_swimmer(*env);
  const mjData& d = s.data();
  EXPECT_EQ(s.info().at("x_position"), d.qpos[0]);  // the reset info
  EXPECT_EQ(s.info().at("y_position"), d.qpos[1]);
  EXPECT_EQ(s.info().at("distance_from_origin"),
            std::sqrt(d.qpos[0] * d.qpos[0] + d.qpos[1] * d.qpos[1]));
  EXPECT_EQ(s.info().at("reward_forward"), 0.0);
  const double x_start = d.qpos[0];
  for (int step = 0; step < 300; ++step) {
    const double x_before = d.qpos[0], y_before = d.qpos[1];
    const std::vector<float> action = swimmer_action(step);
    const Transition t = env->step(std::span<const float>(action));
    // Observation: qpos[2:] then qvel, rounded to float32.
    ASSERT_EQ(t.observation.size(), 8u);
    for (int i = 2; i < 5; ++i) EXPECT_EQ(t.observation[i - 2], static_cast<float>(d.qpos[i]));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(t.observation[3 + i], static_cast<float>(d.qvel[i]));
    // reward = forward_reward - ctrl_cost, with the default weights 1 and 1e-4.
    const double x_velocity = (d.qpos[0] - x_before) / 0.04;
    const double y_velocity = (d.qpos[1] - y_before) / 0.04;
    const float squared = action[0] * action[0] + action[1] * action[1];
    EXPECT_DOUBLE_EQ(s.info().at("x_velocity"), x_velocity);
    EXPECT_DOUBLE_EQ(s.info().at("y_velocity"), y_velocity);
    EXPECT_EQ(s.info().at("x_position"), d.qpos[0]);
    EXPECT_EQ(s.info().at("y_position"), d.qpos[1]);
    EXPECT_DOUBLE_EQ(s.info().at("distance_from_origin"), std::hypot(d.qpos[0], d.qpos[1]));
    EXPECT_DOUBLE_EQ(s.info().at("reward_forward"), 1.0 * x_velocity);
    EXPECT_EQ(s.info().at("reward_ctrl"), -(1e-4 * static_cast<double>(squared)));
    EXPECT_EQ(t.reward, s.info().at("reward_forward") + s.info().at("reward_ctrl"));
    EXPECT_FALSE(t.terminated);
    EXPECT_FALSE(t.truncated);
  }
  EXPECT_GT(std::fabs(d.qpos[0] - x_start), 0.01);  // it swam: the terms were not all zero
}

TEST(SwimmerV5, TruncatesAfterOneThousandStepsAndNeverTerminates) {
  std::unique_ptr<Env> env = make("Swimmer-v5");
  env->reset(uint64_t{0});
  for (int step = 1; step <= 1000; ++step) {
    const std::vector<float> action = swimmer_action(step);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_FALSE(t.terminated);
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(SwimmerV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + uniform(-s, s, nq), then qvel = init_qvel +
  // uniform(-s, s, nv), s = 0.1.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  u = r.uniform(low=-0.1, high=0.1, size=5)\n"
      "  v = r.uniform(low=-0.1, high=0.1, size=5)\n"
      "  print(\" \".join(float(x).hex() for x in np.concatenate([u, v])),\n"
      "        float(np.sqrt(u[0] * u[0] + u[1] * u[1])).hex())\n");
  std::unique_ptr<Env> env = make("Swimmer-v5");
  const Swimmer& s = unwrapped_swimmer(*env);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    const mjData& d = s.data();
    std::istringstream words(line);
    for (size_t i = 0; i < 10; ++i) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      const double noise = std::strtod(word.c_str(), nullptr);
      const double base = i < 5 ? s.init_qpos()[i] : s.init_qvel()[i - 5];
      const double value = i < 5 ? d.qpos[i] : d.qvel[i - 5];
      EXPECT_EQ(value, base + noise) << "seed " << seeds << " element " << i;
      if (i >= 2) {
        EXPECT_EQ(obs[i - 2], static_cast<float>(value)) << "seed " << seeds;
      }
    }
    std::string word;
    ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
    // init_qpos[0:2] is (0, 0), so the norm of the noise is the distance. Gymnasium takes it
    // with np.linalg.norm, i.e. sqrt(dot(x, x)); the dot product is the BLAS library's, and
    // OpenBLAS's fused kernel rounds differently from the reference BLAS NumPy uses without
    // it, so the reference here is the plain sum of squares NumPy computes with the
    // reference BLAS (and that cairn computes), whatever BLAS is installed.
    EXPECT_EQ(s.info().at("distance_from_origin"), std::strtod(word.c_str(), nullptr));
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
}

TEST(SwimmerV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("Swimmer-v5", {{"forward_reward_weight", 2.0},
                          {"ctrl_cost_weight", 0.5},
                          {"reset_noise_scale", 0.0},
                          {"exclude_current_positions_from_observation", false},
                          {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  ASSERT_EQ(obs.size(), 10u);
  Swimmer& s = unwrapped_swimmer(*env);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(obs[i], static_cast<float>(s.init_qpos()[i]));
  for (size_t i = 5; i < 10; ++i) EXPECT_EQ(obs[i], static_cast<float>(s.init_qvel()[i - 5]));
  EXPECT_EQ(s.frame_skip(), 2);
  const double x_before = s.data().qpos[0];
  const std::vector<float> action = {0.5f, -0.25f};
  const Transition t = env->step(std::span<const float>(action));
  EXPECT_EQ(t.observation[0], static_cast<float>(s.data().qpos[0]));  // x included
  EXPECT_EQ(t.observation[1], static_cast<float>(s.data().qpos[1]));  // y included
  const double x_velocity = (s.data().qpos[0] - x_before) / s.dt();
  EXPECT_DOUBLE_EQ(s.dt(), 2 * s.model().opt.timestep);
  EXPECT_DOUBLE_EQ(s.info().at("reward_forward"), 2.0 * x_velocity);
  EXPECT_EQ(s.info().at("reward_ctrl"), -(0.5 * 0.3125));
  EXPECT_EQ(t.reward, s.info().at("reward_forward") + s.info().at("reward_ctrl"));

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/swimmer.xml";
  EXPECT_EQ(make("Swimmer-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 8u);
  EXPECT_ERROR_CONTAINS(make("Swimmer-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Swimmer-v5", {{"healthy_reward", 1.0}}),
                        "unknown option(s) for 'Swimmer-v5': 'healthy_reward'");
  EXPECT_ERROR_CONTAINS(make("Swimmer-v5", {{"ctrl_cost_weight", "low"}}), "ctrl_cost_weight");
  EXPECT_ERROR_CONTAINS(make("Swimmer-v5", {{"forward_reward_weight", NAN}}),
                        "forward_reward_weight");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(SwimmerV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Swimmer-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
