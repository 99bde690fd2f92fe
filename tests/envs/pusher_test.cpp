// Pusher-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/pusher_v5.py):
// observation layout, reward terms and info computed by hand from the MuJoCo state, the
// control cost of 7-element float32 actions against NumPy, the 100-step truncation, the
// options, and the reset states for seeds 0-9 (the object placed by rejection) against
// Gymnasium's draws evaluated with NumPy's generator (/usr/bin/python3 with python3-numpy;
// a missing NumPy fails the test).
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
#include "cairn/env/mujoco/pusher.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

constexpr int kPusherNu = 7;

Pusher& unwrapped_pusher(Env& env) {
  return dynamic_cast<Pusher&>(env.unwrapped());
}

// A deterministic, varied action sequence in [-2, 2] (some components at the bounds).
std::vector<float> pusher_action(int step) {
  std::vector<float> a(kPusherNu);
  for (int j = 0; j < kPusherNu; ++j) {
    a[j] = static_cast<float>(1.7 * std::sin(0.31 * step + 0.9 * j));
    if ((step + j) % 5 == 0) a[j] = (j % 2 == 0) ? 2.0f : -2.0f;
  }
  return a;
}

double pusher_distance(const mjData& d, int a, int b) {
  double squared = 0.0;
  for (int c = 0; c < 3; ++c) {
    const double v = d.xpos[3 * a + c] - d.xpos[3 * b + c];
    squared += v * v;
  }
  return std::sqrt(squared);
}

TEST(PusherV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Pusher-v5");
  EXPECT_EQ(spec.max_episode_steps, 100);
  EXPECT_EQ(spec.reward_threshold, 0.0);
  std::unique_ptr<Env> env = make("Pusher-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 23u);
  ASSERT_EQ(env->action_space().size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -2.0f);
    EXPECT_EQ(env->action_space().high()[i], 2.0f);
  }
  Pusher& p = unwrapped_pusher(*env);
  EXPECT_EQ(p.model().nq, 11);
  EXPECT_EQ(p.model().nv, 11);
  EXPECT_EQ(p.frame_skip(), 5);
  EXPECT_DOUBLE_EQ(p.dt(), 0.05);
}

TEST(PusherV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("Pusher-v5");
  env->reset(uint64_t{6});
  Pusher& p = unwrapped_pusher(*env);
  const mjModel& m = p.model();
  const mjData& d = p.data();
  const int tips = mj_name2id(&m, mjOBJ_BODY, "tips_arm");
  const int object = mj_name2id(&m, mjOBJ_BODY, "object");
  const int goal = mj_name2id(&m, mjOBJ_BODY, "goal");
  ASSERT_GE(tips, 0);
  ASSERT_GE(object, 0);
  ASSERT_GE(goal, 0);
  for (int step = 0; step < 100; ++step) {
    const std::vector<float> action = pusher_action(step);
    const Transition t = env->step(std::span<const float>(action));
    ASSERT_EQ(t.observation.size(), 23u);
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(t.observation[i], static_cast<float>(d.qpos[i])) << "step " << step;
      EXPECT_EQ(t.observation[7 + i], static_cast<float>(d.qvel[i])) << "step " << step;
    }
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(t.observation[14 + c], static_cast<float>(d.xpos[3 * tips + c]));
      EXPECT_EQ(t.observation[17 + c], static_cast<float>(d.xpos[3 * object + c]));
      EXPECT_EQ(t.observation[20 + c], static_cast<float>(d.xpos[3 * goal + c]));
    }
    // reward = reward_dist + reward_ctrl + reward_near, default weights 1, 0.1 and 0.5.
    float squared = 0.0f;
    for (float a : action) squared += a * a;
    EXPECT_EQ(p.info().at("reward_near"), -pusher_distance(d, object, tips) * 0.5);
    EXPECT_EQ(p.info().at("reward_dist"), -pusher_distance(d, object, goal) * 1.0);
    EXPECT_EQ(p.info().at("reward_ctrl"), -static_cast<double>(squared) * 0.1);
    EXPECT_EQ(t.reward,
              p.info().at("reward_dist") + p.info().at("reward_ctrl") + p.info().at("reward_near"));
    EXPECT_FALSE(t.terminated);
    EXPECT_EQ(t.truncated, step == 99) << "step " << step;  // Pusher-v5's TimeLimit is 100
  }
}

TEST(PusherV5, ResetStatesEqualGymnasiumsDrawsWithNumPy) {
  // Gymnasium: cylinder = (uniform(-0.3, 0, 1), uniform(-0.2, 0.2, 1)) until
  // norm(cylinder - goal) > 0.17 with goal (0, 0); qpos[-4:-2] = cylinder, qpos[-2:] = goal;
  // qvel = init_qvel + uniform(-0.005, 0.005, nv); qvel[-4:] = 0.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  goal = np.asarray([0, 0])\n"
      "  tries = 0\n"
      "  while True:\n"
      "    tries += 1\n"
      "    c = np.concatenate([r.uniform(low=-0.3, high=0, size=1),\n"
      "                        r.uniform(low=-0.2, high=0.2, size=1)])\n"
      "    if np.linalg.norm(c - goal) > 0.17:\n"
      "      break\n"
      "  v = r.uniform(low=-0.005, high=0.005, size=11)\n"
      "  print(\" \".join(float(x).hex() for x in np.concatenate([c, v])), tries)\n");
  std::unique_ptr<Env> env = make("Pusher-v5");
  const Pusher& p = unwrapped_pusher(*env);
  std::istringstream lines(out);
  int seeds = 0, retried = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    std::istringstream words(line);
    double v[13];
    for (double& x : v) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      x = std::strtod(word.c_str(), nullptr);
    }
    int tries = 0;
    ASSERT_TRUE(words >> tries) << "NumPy printed: " << out;
    retried += tries > 1;
    const mjData& d = p.data();
    for (int i = 0; i < 7; ++i) EXPECT_EQ(d.qpos[i], p.init_qpos()[i]) << "seed " << seeds;
    EXPECT_EQ(d.qpos[7], v[0]) << "seed " << seeds;  // the first draw goes to the y slide
    EXPECT_EQ(d.qpos[8], v[1]) << "seed " << seeds;
    EXPECT_EQ(d.qpos[9], 0.0);
    EXPECT_EQ(d.qpos[10], 0.0);
    EXPECT_EQ(p.cylinder_position()[0], v[0]);
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(d.qvel[i], p.init_qvel()[i] + v[2 + i]) << "seed " << seeds << " qvel " << i;
      EXPECT_EQ(obs[7 + i], static_cast<float>(d.qvel[i]));
    }
    for (int i = 7; i < 11; ++i) EXPECT_EQ(d.qvel[i], 0.0);
    // The object's body: y moved by qpos[7], x by qpos[8] from its model position.
    const int object = mj_name2id(&p.model(), mjOBJ_BODY, "object");
    EXPECT_DOUBLE_EQ(d.xpos[3 * object], 0.45 + v[1]);
    EXPECT_DOUBLE_EQ(d.xpos[3 * object + 1], -0.05 + v[0]);
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
  EXPECT_GT(retried, 0) << "no seed exercised the rejection: choose other seeds";
}

TEST(PusherV5, ControlCostEqualsGymnasiumsNumPyExpression) {
  // Gymnasium: reward_ctrl = -np.square(action).sum() * reward_control_weight for the float32
  // 7-element action; NumPy evaluates it for the same 60 actions.
  std::string actions = "[";
  for (int step = 0; step < 60; ++step) {
    for (float a : pusher_action(step)) actions += std::to_string(a) + ",";
  }
  actions += "]";
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "a = np.array(" +
      actions +
      ", dtype=np.float32).reshape(60, 7)\n"
      "for row in a:\n"
      "  print(float(-np.square(row).sum() * 0.1).hex())\n");
  std::unique_ptr<Env> env = make("Pusher-v5");
  env->reset(uint64_t{2});
  const Pusher& p = unwrapped_pusher(*env);
  std::istringstream lines(out);
  int compared = 0;
  for (std::string line; std::getline(lines, line); ++compared) {
    std::vector<float> action = pusher_action(compared);
    for (float& a : action) a = static_cast<float>(std::strtod(std::to_string(a).c_str(), nullptr));
    env->step(std::span<const float>(action));
    EXPECT_EQ(p.info().at("reward_ctrl"), std::strtod(line.c_str(), nullptr))
        << "step " << compared << ": NumPy printed " << line;
    if (compared % 20 == 19) env->reset(uint64_t{2});  // stay within the time limit
  }
  EXPECT_EQ(compared, 60) << "NumPy printed: " << out;
}

TEST(PusherV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env = make("Pusher-v5", {{"reward_near_weight", 2.0},
                                                {"reward_dist_weight", 0.5},
                                                {"reward_control_weight", 0.0},
                                                {"frame_skip", 2}});
  env->reset(uint64_t{1});
  Pusher& p = unwrapped_pusher(*env);
  EXPECT_EQ(p.frame_skip(), 2);
  const std::vector<float> action = pusher_action(4);
  const Transition t = env->step(std::span<const float>(action));
  const mjData& d = p.data();
  const int tips = mj_name2id(&p.model(), mjOBJ_BODY, "tips_arm");
  const int object = mj_name2id(&p.model(), mjOBJ_BODY, "object");
  const int goal = mj_name2id(&p.model(), mjOBJ_BODY, "goal");
  EXPECT_EQ(p.info().at("reward_near"), -pusher_distance(d, object, tips) * 2.0);
  EXPECT_EQ(p.info().at("reward_dist"), -pusher_distance(d, object, goal) * 0.5);
  EXPECT_EQ(p.info().at("reward_ctrl"), 0.0);
  EXPECT_EQ(t.reward, p.info().at("reward_dist") + p.info().at("reward_near"));

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/pusher_v5.xml";
  EXPECT_EQ(make("Pusher-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 23u);
  EXPECT_ERROR_CONTAINS(make("Pusher-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Pusher-v5", {{"ctrl_cost_weight", 0.1}}),
                        "unknown option(s) for 'Pusher-v5': 'ctrl_cost_weight'");
  EXPECT_ERROR_CONTAINS(make("Pusher-v5", {{"reward_near_weight", "near"}}), "reward_near_weight");
  EXPECT_ERROR_CONTAINS(make("Pusher-v5", {{"reward_dist_weight", NAN}}), "reward_dist_weight");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(PusherV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Pusher-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
