// Reacher-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/reacher_v5.py):
// observation layout, reward terms and info computed by hand from the MuJoCo state, the
// 50-step truncation, the options, and the reset states for seeds 0-9 (the goal drawn by
// rejection) against Gymnasium's draws evaluated with NumPy's generator (/usr/bin/python3
// with python3-numpy; a missing NumPy fails the test).
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
#include "cairn/env/mujoco/reacher.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

Reacher& unwrapped_reacher(Env& env) {
  return dynamic_cast<Reacher&>(env.unwrapped());
}

std::vector<float> reacher_action(int step) {
  return {static_cast<float>(std::sin(0.41 * step)), static_cast<float>(std::cos(0.23 * step))};
}

TEST(ReacherV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Reacher-v5");
  EXPECT_EQ(spec.max_episode_steps, 50);
  EXPECT_EQ(spec.reward_threshold, -3.75);
  std::unique_ptr<Env> env = make("Reacher-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 10u);
  ASSERT_EQ(env->action_space().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -1.0f);
    EXPECT_EQ(env->action_space().high()[i], 1.0f);
  }
  Reacher& r = unwrapped_reacher(*env);
  EXPECT_EQ(r.model().nq, 4);
  EXPECT_EQ(r.frame_skip(), 2);
  EXPECT_DOUBLE_EQ(r.dt(), 0.02);
}

TEST(ReacherV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("Reacher-v5");
  env->reset(uint64_t{5});
  Reacher& r = unwrapped_reacher(*env);
  const mjModel& m = r.model();
  const mjData& d = r.data();
  const int tip = mj_name2id(&m, mjOBJ_BODY, "fingertip");
  const int target = mj_name2id(&m, mjOBJ_BODY, "target");
  ASSERT_GE(tip, 0);
  ASSERT_GE(target, 0);
  const double goal_x = d.qpos[2], goal_y = d.qpos[3];
  double closest = 1.0;
  for (int step = 0; step < 50; ++step) {
    const std::vector<float> action = reacher_action(step);
    const Transition t = env->step(std::span<const float>(action));
    ASSERT_EQ(t.observation.size(), 10u);
    EXPECT_EQ(t.observation[0], static_cast<float>(std::cos(d.qpos[0])));
    EXPECT_EQ(t.observation[1], static_cast<float>(std::cos(d.qpos[1])));
    EXPECT_EQ(t.observation[2], static_cast<float>(std::sin(d.qpos[0])));
    EXPECT_EQ(t.observation[3], static_cast<float>(std::sin(d.qpos[1])));
    EXPECT_EQ(t.observation[4], static_cast<float>(d.qpos[2]));
    EXPECT_EQ(t.observation[5], static_cast<float>(d.qpos[3]));
    EXPECT_EQ(t.observation[6], static_cast<float>(d.qvel[0]));
    EXPECT_EQ(t.observation[7], static_cast<float>(d.qvel[1]));
    const double dx = d.xpos[3 * tip] - d.xpos[3 * target];
    const double dy = d.xpos[3 * tip + 1] - d.xpos[3 * target + 1];
    const double dz = d.xpos[3 * tip + 2] - d.xpos[3 * target + 2];
    EXPECT_EQ(t.observation[8], static_cast<float>(dx));
    EXPECT_EQ(t.observation[9], static_cast<float>(dy));
    // The target does not move (its velocity was zeroed and nothing pushes it).
    EXPECT_DOUBLE_EQ(d.qpos[2], goal_x);
    EXPECT_DOUBLE_EQ(d.qpos[3], goal_y);
    // reward = reward_dist + reward_ctrl with the default weights 1 and 1.
    const double distance = std::sqrt(dx * dx + dy * dy + dz * dz);
    const float squared = action[0] * action[0] + action[1] * action[1];
    EXPECT_DOUBLE_EQ(r.info().at("reward_dist"), -distance);
    EXPECT_EQ(r.info().at("reward_ctrl"), -static_cast<double>(squared));
    EXPECT_EQ(t.reward, r.info().at("reward_dist") + r.info().at("reward_ctrl"));
    EXPECT_FALSE(t.terminated);
    EXPECT_EQ(t.truncated, step == 49) << "step " << step;  // Reacher-v5's TimeLimit is 50
    closest = std::min(closest, distance);
  }
  EXPECT_GT(closest, 0.0);
}

TEST(ReacherV5, ResetStatesEqualGymnasiumsDrawsWithNumPy) {
  // Gymnasium: qpos = uniform(-0.1, 0.1, nq) + init_qpos; goal = uniform(-0.2, 0.2, 2) until
  // norm(goal) < 0.2; qpos[-2:] = goal; qvel = init_qvel + uniform(-0.005, 0.005, nv);
  // qvel[-2:] = 0. NumPy prints the qpos noise, the goal, the qvel noise and the tries.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  q = r.uniform(low=-0.1, high=0.1, size=4)\n"
      "  tries = 0\n"
      "  while True:\n"
      "    tries += 1\n"
      "    g = r.uniform(low=-0.2, high=0.2, size=2)\n"
      "    if np.linalg.norm(g) < 0.2:\n"
      "      break\n"
      "  v = r.uniform(low=-0.005, high=0.005, size=4)\n"
      "  print(\" \".join(float(x).hex() for x in np.concatenate([q, g, v])), tries)\n");
  std::unique_ptr<Env> env = make("Reacher-v5");
  const Reacher& r = unwrapped_reacher(*env);
  std::istringstream lines(out);
  int seeds = 0, retried = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    std::istringstream words(line);
    double v[10];
    for (double& x : v) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      x = std::strtod(word.c_str(), nullptr);
    }
    int tries = 0;
    ASSERT_TRUE(words >> tries) << "NumPy printed: " << out;
    retried += tries > 1;
    const mjData& d = r.data();
    EXPECT_EQ(d.qpos[0], v[0] + r.init_qpos()[0]) << "seed " << seeds;
    EXPECT_EQ(d.qpos[1], v[1] + r.init_qpos()[1]) << "seed " << seeds;
    EXPECT_EQ(d.qpos[2], v[4]) << "seed " << seeds;
    EXPECT_EQ(d.qpos[3], v[5]) << "seed " << seeds;
    EXPECT_EQ(r.goal()[0], v[4]);
    EXPECT_EQ(r.goal()[1], v[5]);
    EXPECT_EQ(d.qvel[0], r.init_qvel()[0] + v[6]) << "seed " << seeds;
    EXPECT_EQ(d.qvel[1], r.init_qvel()[1] + v[7]) << "seed " << seeds;
    EXPECT_EQ(d.qvel[2], 0.0);
    EXPECT_EQ(d.qvel[3], 0.0);
    EXPECT_EQ(obs[4], static_cast<float>(v[4]));
    EXPECT_EQ(obs[0], static_cast<float>(std::cos(d.qpos[0])));
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
  EXPECT_GT(retried, 0) << "no seed exercised the rejection: choose other seeds";
}

TEST(ReacherV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("Reacher-v5",
           {{"reward_dist_weight", 2.0}, {"reward_control_weight", 0.25}, {"frame_skip", 3}});
  env->reset(uint64_t{1});
  Reacher& r = unwrapped_reacher(*env);
  EXPECT_EQ(r.frame_skip(), 3);
  const std::vector<float> action = {0.5f, -0.75f};
  const Transition t = env->step(std::span<const float>(action));
  const mjData& d = r.data();
  const int tip = mj_name2id(&r.model(), mjOBJ_BODY, "fingertip");
  const int target = mj_name2id(&r.model(), mjOBJ_BODY, "target");
  double squared_distance = 0.0;
  for (int c = 0; c < 3; ++c) {
    const double v = d.xpos[3 * tip + c] - d.xpos[3 * target + c];
    squared_distance += v * v;
  }
  EXPECT_EQ(r.info().at("reward_dist"), -std::sqrt(squared_distance) * 2.0);
  EXPECT_EQ(r.info().at("reward_ctrl"), -(0.25 + 0.5625) * 0.25);
  EXPECT_EQ(t.reward, r.info().at("reward_dist") + r.info().at("reward_ctrl"));

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/reacher.xml";
  EXPECT_EQ(make("Reacher-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 10u);
  EXPECT_ERROR_CONTAINS(make("Reacher-v5", {{"frame_skip", -1}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Reacher-v5", {{"reset_noise_scale", 0.1}}),
                        "unknown option(s) for 'Reacher-v5': 'reset_noise_scale'");
  EXPECT_ERROR_CONTAINS(make("Reacher-v5", {{"reward_dist_weight", "far"}}), "reward_dist_weight");
  EXPECT_ERROR_CONTAINS(make("Reacher-v5", {{"reward_control_weight", INFINITY}}),
                        "reward_control_weight");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(ReacherV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Reacher-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
