// InvertedDoublePendulum-v5 against Gymnasium's v5 definition
// (gymnasium/envs/mujoco/inverted_double_pendulum_v5.py): observation layout, reward terms,
// termination and info computed by hand from the MuJoCo state, the 1000-step truncation, the
// options, and the reset states for seeds 0-9 against Gymnasium's formula evaluated with
// NumPy's generator (/usr/bin/python3 with python3-numpy; a missing NumPy fails the test).
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <array>
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
#include "cairn/env/mujoco/inverted_double_pendulum.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "env/numpy_math.h"
#include "error_matchers.h"
#include "support/python_program.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

InvertedDoublePendulum& unwrapped_idp(Env& env) {
  return dynamic_cast<InvertedDoublePendulum&>(env.unwrapped());
}

float idp_action(int step) {
  return static_cast<float>(0.8 * std::sin(0.9 * step));
}

TEST(InvertedDoublePendulumV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("InvertedDoublePendulum-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 9100.0);
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 9u);
  ASSERT_EQ(env->action_space().size(), 1u);
  EXPECT_EQ(env->action_space().low()[0], -1.0f);
  EXPECT_EQ(env->action_space().high()[0], 1.0f);
  InvertedDoublePendulum& p = unwrapped_idp(*env);
  EXPECT_EQ(p.model().nq, 3);
  EXPECT_EQ(p.model().nv, 3);
  EXPECT_EQ(p.frame_skip(), 5);
  EXPECT_DOUBLE_EQ(p.dt(), 0.05);
}

TEST(InvertedDoublePendulumV5, ObservationRewardTerminationAndInfoAreTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  env->reset(uint64_t{3});
  InvertedDoublePendulum& p = unwrapped_idp(*env);
  EXPECT_EQ(p.info().at("reward_survive"), 0.0);  // Gymnasium reports no reset info
  const mjData& d = p.data();
  bool terminated = false;
  int step = 0;
  for (; step < 1000 && !terminated; ++step) {
    const float a = idp_action(step);
    const Transition t = env->step(std::span<const float>(&a, 1));
    ASSERT_EQ(t.observation.size(), 9u);
    EXPECT_EQ(t.observation[0], static_cast<float>(d.qpos[0]));
    EXPECT_EQ(t.observation[1], static_cast<float>(std::sin(d.qpos[1])));
    EXPECT_EQ(t.observation[2], static_cast<float>(std::sin(d.qpos[2])));
    EXPECT_EQ(t.observation[3], static_cast<float>(std::cos(d.qpos[1])));
    EXPECT_EQ(t.observation[4], static_cast<float>(std::cos(d.qpos[2])));
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(t.observation[5 + i],
                static_cast<float>(envs_detail::np_clip(d.qvel[i], -10.0, 10.0)));
    }
    EXPECT_EQ(t.observation[8],
              static_cast<float>(envs_detail::np_clip(d.qfrc_constraint[0], -10.0, 10.0)));
    // The tip is site 0, 1.2 m above the cart when upright.
    const double x = d.site_xpos[0], y = d.site_xpos[2];
    EXPECT_EQ(t.terminated, y <= 1.0) << "step " << step;
    const double dist = 0.01 * x * x + (y - 2) * (y - 2);
    const double vel = 0.001 * d.qvel[1] * d.qvel[1] + 0.005 * d.qvel[2] * d.qvel[2];
    const double alive = t.terminated ? 0.0 : 10.0;
    EXPECT_EQ(p.info().at("reward_survive"), alive);
    EXPECT_DOUBLE_EQ(p.info().at("distance_penalty"), -dist);
    EXPECT_DOUBLE_EQ(p.info().at("velocity_penalty"), -vel);
    EXPECT_EQ(t.reward, p.info().at("reward_survive") + p.info().at("distance_penalty") +
                            p.info().at("velocity_penalty"));
    EXPECT_GT(dist, 0.0);
    EXPECT_FALSE(t.truncated);
    terminated = t.terminated;
  }
  EXPECT_TRUE(terminated) << "the poles should fall under this open-loop action";
  EXPECT_GT(step, 1);
}

TEST(InvertedDoublePendulumV5, RewardEqualsGymnasiumsNumPyExpressionBitForBit) {
  // Gymnasium squares with ** on NumPy float64 scalars (the C library's pow, which differs
  // from x * x in the last bit for about one input in a thousand): NumPy evaluates _get_rew
  // for the tip positions and velocities of 20000 steps (read from a file) and the reward and
  // both penalties must be equal bit for bit.
  constexpr size_t kSteps = 20000;
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  const InvertedDoublePendulum& p = unwrapped_idp(*env);
  const testing_io::ScratchDir scratch;
  const std::string path = (scratch / "states.txt").string();
  std::FILE* file = std::fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr) << path;
  std::vector<std::array<double, 3>> terms;  // reward, distance_penalty, velocity_penalty
  int naive_differs = 0;                     // values that squaring with x * x would have changed
  for (uint64_t episode = 0; terms.size() < kSteps; ++episode) {
    env->reset(episode);
    bool done = false;
    for (int step = 0; !done && terms.size() < kSteps; ++step) {
      const float a = idp_action(step + static_cast<int>(episode));
      const Transition t = env->step(std::span<const float>(&a, 1));
      const mjData& d = p.data();
      const double x = d.site_xpos[0], y = d.site_xpos[2], v1 = d.qvel[1], v2 = d.qvel[2];
      std::fprintf(file, "%a %a %a %a\n", x, y, v1, v2);
      terms.push_back({t.reward, p.info().at("distance_penalty"), p.info().at("velocity_penalty")});
      naive_differs += -(0.01 * (x * x) + (y - 2) * (y - 2)) != terms.back()[1];
      naive_differs += -(1e-3 * (v1 * v1) + 5e-3 * (v2 * v2)) != terms.back()[2];
      done = t.terminated || t.truncated;
    }
  }
  std::fclose(file);
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for line in open(\"" +
      path +
      "\"):\n"
      "  x, y, v1, v2 = (np.float64(float.fromhex(h)) for h in line.split())\n"
      "  terminated = bool(y <= 1)\n"
      "  dist_penalty = 0.01 * x**2 + (y - 2) ** 2\n"
      "  vel_penalty = 1e-3 * v1**2 + 5e-3 * v2**2\n"
      "  alive_bonus = 10.0 * int(not terminated)\n"
      "  reward = alive_bonus - dist_penalty - vel_penalty\n"
      "  print(float(reward).hex(), float(-dist_penalty).hex(), float(-vel_penalty).hex())\n");
  std::istringstream lines(out);
  size_t compared = 0;
  for (std::string line; std::getline(lines, line) && compared < terms.size(); ++compared) {
    std::istringstream words(line);
    for (size_t k = 0; k < 3; ++k) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << line;
      ASSERT_EQ(terms[compared][k], std::strtod(word.c_str(), nullptr))
          << "step " << compared << " term " << k << ": NumPy printed " << line;
    }
  }
  EXPECT_EQ(compared, terms.size()) << "NumPy printed: " << out.substr(0, 2000);
  // The comparison can fail: squaring with x * x would have given other penalties.
  EXPECT_GT(naive_differs, 0);
}

TEST(InvertedDoublePendulumV5, TerminatesExactlyWhenTheTipIsAtOrBelowOneMetre) {
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  env->reset(uint64_t{0});
  InvertedDoublePendulum& p = unwrapped_idp(*env);
  // Upper pole horizontal: the tip is at 0.6 m; upright it is at 1.2 m.
  const double fallen[3] = {0.0, 0.0, M_PI / 2}, still[3] = {0.0, 0.0, 0.0};
  p.set_qpos_qvel(fallen, still);
  const float zero = 0.0f;
  Transition t = env->step(std::span<const float>(&zero, 1));
  EXPECT_LT(p.data().site_xpos[2], 1.0);
  EXPECT_TRUE(t.terminated);
  EXPECT_EQ(p.info().at("reward_survive"), 0.0);
  env->reset(uint64_t{0});
  const double upright[3] = {0.0, 0.0, 0.0};
  p.set_qpos_qvel(upright, still);
  t = env->step(std::span<const float>(&zero, 1));
  EXPECT_NEAR(p.data().site_xpos[2], 1.2, 1e-6);
  EXPECT_FALSE(t.terminated);
  EXPECT_EQ(p.info().at("reward_survive"), 10.0);
}

TEST(InvertedDoublePendulumV5, TruncatesAfterOneThousandSteps) {
  // Held upright (at rest before each step) the poles never fall, so only the time limit
  // ends the episode.
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  env->reset(uint64_t{0});
  InvertedDoublePendulum& p = unwrapped_idp(*env);
  const double upright[3] = {0.0, 0.0, 0.0}, still[3] = {0.0, 0.0, 0.0};
  const float zero = 0.0f;
  for (int step = 1; step <= 1000; ++step) {
    p.set_qpos_qvel(upright, still);
    const Transition t = env->step(std::span<const float>(&zero, 1));
    ASSERT_FALSE(t.terminated) << "step " << step;
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(InvertedDoublePendulumV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + np_random.uniform(low=-s, high=s, size=nq), then
  // qvel = init_qvel + np_random.standard_normal(nv) * s, s = 0.1.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  u = r.uniform(low=-0.1, high=0.1, size=3)\n"
      "  n = r.standard_normal(3) * 0.1\n"
      "  print(\" \".join(float(v).hex() for v in np.concatenate([u, n])))\n");
  std::unique_ptr<Env> env = make("InvertedDoublePendulum-v5");
  const InvertedDoublePendulum& p = unwrapped_idp(*env);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    std::istringstream words(line);
    for (size_t i = 0; i < 6; ++i) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      const double noise = std::strtod(word.c_str(), nullptr);
      const double base = i < 3 ? p.init_qpos()[i] : p.init_qvel()[i - 3];
      const double value = i < 3 ? p.data().qpos[i] : p.data().qvel[i - 3];
      EXPECT_EQ(value, base + noise) << "seed " << seeds << " element " << i;
    }
    EXPECT_EQ(obs[0], static_cast<float>(p.data().qpos[0]));
    EXPECT_EQ(obs[1], static_cast<float>(std::sin(p.data().qpos[1])));
    EXPECT_EQ(obs[7], static_cast<float>(envs_detail::np_clip(p.data().qvel[2], -10.0, 10.0)));
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
}

TEST(InvertedDoublePendulumV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("InvertedDoublePendulum-v5",
           {{"healthy_reward", 3.0}, {"reset_noise_scale", 0.0}, {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  InvertedDoublePendulum& p = unwrapped_idp(*env);
  EXPECT_EQ(obs[0], static_cast<float>(p.init_qpos()[0]));
  EXPECT_EQ(obs[3], 1.0f);  // cos of the initial angle 0: no noise
  EXPECT_EQ(p.frame_skip(), 2);
  const float zero = 0.0f;
  env->step(std::span<const float>(&zero, 1));
  EXPECT_EQ(p.info().at("reward_survive"), 3.0);

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/inverted_double_pendulum.xml";
  EXPECT_EQ(make("InvertedDoublePendulum-v5", {{"xml_file", gymnasium_model}})
                ->observation_space()
                .size(),
            9u);
  EXPECT_ERROR_CONTAINS(make("InvertedDoublePendulum-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("InvertedDoublePendulum-v5", {{"ctrl_cost_weight", 1.0}}),
                        "unknown option(s) for 'InvertedDoublePendulum-v5': 'ctrl_cost_weight'");
  EXPECT_ERROR_CONTAINS(make("InvertedDoublePendulum-v5", {{"healthy_reward", "high"}}),
                        "healthy_reward");
  EXPECT_ERROR_CONTAINS(make("InvertedDoublePendulum-v5", {{"reset_noise_scale", NAN}}),
                        "reset_noise_scale");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(InvertedDoublePendulumV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("InvertedDoublePendulum-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
