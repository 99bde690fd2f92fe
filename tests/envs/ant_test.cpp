// Ant-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/ant_v5.py): observation
// layout, reward terms, termination and info from the MuJoCo state, the rewards against
// Gymnasium's NumPy expressions evaluated by /usr/bin/python3 on the same state, the reset
// states for seeds 0-9 against NumPy's generator, truncation and options; and NumPy's
// summation order (src/env/mujoco/numpy_sum.h) against np.sum itself. A missing NumPy fails
// the tests.
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <algorithm>
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
#include "cairn/env/mujoco/ant.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "env/mujoco/numpy_sum.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

constexpr int kAntNq = 15, kAntNv = 14, kAntNu = 8, kAntNbody = 14;

Ant& unwrapped_ant(Env& env) {
  return dynamic_cast<Ant&>(env.unwrapped());
}

// A deterministic, varied action sequence in [-1, 1] (some components at the bounds).
std::vector<float> ant_action(int step) {
  std::vector<float> a(kAntNu);
  for (int j = 0; j < kAntNu; ++j) {
    a[j] = static_cast<float>(std::sin(0.41 * step + 0.9 * j));
    if ((step + j) % 5 == 0) a[j] = (j % 2 == 0) ? 1.0f : -1.0f;
  }
  return a;
}

// The exact text of a double for Python's float.fromhex.
std::string ant_hex(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", v);
  return buffer;
}

std::vector<double> ant_numbers(const std::string& line) {
  std::vector<double> v;
  std::istringstream words(line);
  for (std::string w; words >> w;) v.push_back(std::strtod(w.c_str(), nullptr));
  return v;
}

TEST(NumpySum, MatchesNumPysSumOfFloat32AndFloat64ArraysOfEverySizeUpTo300) {
  // Values with varied exponents, so that the order of additions shows in the last bits;
  // computed alike in Python and C++ (a correctly rounded division, exact scaling by 2^k).
  auto value = [](int n, int i) {
    return std::ldexp(static_cast<double>((i * 7919 + n * 104729) % 2001 - 1000) / 1000.0,
                      i % 7 - 3);
  };
  std::string program =
      "import numpy as np\n"
      "for n in range(1, 301):\n"
      "  x = np.array([((i * 7919 + n * 104729) % 2001 - 1000) / 1000.0 * 2.0 ** (i % 7 - 3)\n"
      "                for i in range(n)])\n"
      "  f = x.astype(np.float32)\n"
      "  print(float(np.sum(x)).hex(), float(np.sum(np.square(x))).hex(),\n"
      "        float(np.sum(f)).hex(), float(np.sum(np.square(f))).hex())\n";
  const std::string out = testing_python::run_python_program(program);
  std::istringstream lines(out);
  int n = 0;
  int order_mattered = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    const std::vector<double> expected = ant_numbers(line);
    ASSERT_EQ(expected.size(), 4u) << "NumPy printed: " << line;
    std::vector<double> x(n);
    std::vector<float> f(n);
    for (int i = 0; i < n; ++i) {
      x[i] = value(n, i);
      f[i] = static_cast<float>(x[i]);
    }
    using mujoco_detail::numpy_sum;
    using mujoco_detail::numpy_sum_of_squares;
    EXPECT_EQ(numpy_sum<double>(x), expected[0]) << "n = " << n;
    EXPECT_EQ(numpy_sum_of_squares<double>(x), expected[1]) << "n = " << n;
    EXPECT_EQ(numpy_sum<float>(f), static_cast<float>(expected[2])) << "n = " << n;
    EXPECT_EQ(numpy_sum_of_squares<float>(f), static_cast<float>(expected[3])) << "n = " << n;
    float sequential = 0.0f;
    for (float v : f) sequential += v * v;
    if (sequential != numpy_sum_of_squares<float>(f)) ++order_mattered;
  }
  EXPECT_EQ(n, 300) << "NumPy printed: " << out;
  EXPECT_GT(order_mattered, 10);  // a sequential sum would not have passed
}

TEST(AntV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Ant-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 6000.0);
  std::unique_ptr<Env> env = make("Ant-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 105u);
  EXPECT_EQ(env->action_space().size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -1.0f);
    EXPECT_EQ(env->action_space().high()[i], 1.0f);
  }
  Ant& a = unwrapped_ant(*env);
  EXPECT_EQ(a.model().nq, kAntNq);
  EXPECT_EQ(a.model().nv, kAntNv);
  EXPECT_EQ(a.model().nbody, kAntNbody);
  EXPECT_EQ(a.frame_skip(), 5);
  EXPECT_DOUBLE_EQ(a.dt(), 0.05);
}

TEST(AntV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("Ant-v5");
  env->reset(uint64_t{4});
  Ant& a = unwrapped_ant(*env);
  const mjData& d = a.data();
  EXPECT_EQ(a.info().at("x_position"), d.qpos[0]);  // the reset info
  EXPECT_EQ(a.info().at("y_position"), d.qpos[1]);
  EXPECT_EQ(a.info().at("reward_forward"), 0.0);
  int clipped = 0, unclipped_nonzero = 0;
  double xpos_differs_from_qpos = 0.0;
  for (int step = 0; step < 100; ++step) {
    const double x_before = d.xpos[3], y_before = d.xpos[4];  // the torso, body 1
    const std::vector<float> action = ant_action(step);
    const Transition t = env->step(std::span<const float>(action));
    if (t.terminated) break;
    // Observation: qpos[2:], qvel, then cfrc_ext rows 1..13 clipped to [-1, 1].
    ASSERT_EQ(t.observation.size(), 105u);
    for (int i = 2; i < kAntNq; ++i) EXPECT_EQ(t.observation[i - 2], static_cast<float>(d.qpos[i]));
    for (int i = 0; i < kAntNv; ++i) {
      EXPECT_EQ(t.observation[kAntNq - 2 + i], static_cast<float>(d.qvel[i]));
    }
    for (int i = 6; i < 6 * kAntNbody; ++i) {
      const double c = std::clamp(d.cfrc_ext[i], -1.0, 1.0);
      EXPECT_EQ(t.observation[kAntNq - 2 + kAntNv + i - 6], static_cast<float>(c)) << step;
      if (c != d.cfrc_ext[i]) ++clipped;
      if (c == d.cfrc_ext[i] && c != 0.0) ++unclipped_nonzero;
    }
    // Velocities from the torso's frame origin (xpos), not from qpos.
    const double x_velocity = (d.xpos[3] - x_before) / 0.05;
    const double y_velocity = (d.xpos[4] - y_before) / 0.05;
    EXPECT_EQ(a.info().at("x_velocity"), x_velocity);
    EXPECT_EQ(a.info().at("y_velocity"), y_velocity);
    xpos_differs_from_qpos += std::fabs(d.xpos[3] - d.qpos[0]);
    EXPECT_EQ(a.info().at("x_position"), d.qpos[0]);
    EXPECT_EQ(a.info().at("y_position"), d.qpos[1]);
    EXPECT_DOUBLE_EQ(a.info().at("distance_from_origin"), std::hypot(d.qpos[0], d.qpos[1]));
    EXPECT_EQ(a.info().at("reward_forward"), x_velocity);
    const bool healthy = 0.2 <= d.qpos[2] && d.qpos[2] <= 1.0;
    EXPECT_EQ(a.info().at("reward_survive"), healthy ? 1.0 : 0.0);
    double contact = 0.0;
    for (int i = 0; i < 6 * kAntNbody; ++i)
      contact += std::pow(std::clamp(d.cfrc_ext[i], -1.0, 1.0), 2);
    EXPECT_NEAR(a.info().at("reward_contact"), -5e-4 * contact, 1e-15);
    double squared = 0.0;
    for (float v : action) squared += static_cast<double>(v) * v;
    EXPECT_NEAR(a.info().at("reward_ctrl"), -0.5 * squared, 1e-6);
    EXPECT_EQ(t.reward, (a.info().at("reward_forward") + a.info().at("reward_survive")) -
                            (-a.info().at("reward_ctrl") - a.info().at("reward_contact")));
    EXPECT_EQ(t.terminated, !healthy);
    EXPECT_FALSE(t.truncated);
  }
  EXPECT_GT(clipped, 10);  // the terms were not trivially zero or unclipped
  EXPECT_GT(unclipped_nonzero, 0);
  EXPECT_GT(xpos_differs_from_qpos, 0.0);
}

TEST(AntV5, RewardsEqualGymnasiumsNumPyExpressionsOnTheSameState) {
  // For 25 steps, the state Gymnasium's step reads (the torso's xpos before and after, the
  // action, qpos, qvel, cfrc_ext) goes to NumPy, which evaluates ant_v5.py's expressions.
  std::unique_ptr<Env> env = make("Ant-v5");
  env->reset(uint64_t{11});
  Ant& a = unwrapped_ant(*env);
  const mjData& d = a.data();
  std::string states;
  std::vector<double> rewards, ctrl, contact, distance;
  for (int step = 0; step < 25; ++step) {
    const std::vector<float> action = ant_action(step);
    std::string line;
    line += ant_hex(d.xpos[3]) + " " + ant_hex(d.xpos[4]) + " ";
    const Transition t = env->step(std::span<const float>(action));
    ASSERT_FALSE(t.terminated);
    line += ant_hex(d.xpos[3]) + " " + ant_hex(d.xpos[4]) + " ";
    for (float v : action) line += ant_hex(v) + " ";
    for (int i = 0; i < kAntNq; ++i) line += ant_hex(d.qpos[i]) + " ";
    for (int i = 0; i < kAntNv; ++i) line += ant_hex(d.qvel[i]) + " ";
    for (int i = 0; i < 6 * kAntNbody; ++i) line += ant_hex(d.cfrc_ext[i]) + " ";
    states += line + "\n";
    rewards.push_back(t.reward);
    ctrl.push_back(a.info().at("reward_ctrl"));
    contact.push_back(a.info().at("reward_contact"));
    distance.push_back(a.info().at("distance_from_origin"));
  }
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for line in \"\"\"" +
      states +
      "\"\"\".strip().split(\"\\n\"):\n"
      "  v = [float.fromhex(w) for w in line.split()]\n"
      "  before, after = np.array(v[0:2]), np.array(v[2:4])\n"
      "  action = np.array(v[4:12], dtype=np.float32)\n"
      "  qpos, qvel = np.array(v[12:27]), np.array(v[27:41])\n"
      "  cfrc_ext = np.array(v[41:125]).reshape(14, 6)\n"
      "  x_velocity, y_velocity = (after - before) / 0.05\n"
      "  forward_reward = x_velocity * 1.0\n"
      "  state = np.concatenate([qpos, qvel])\n"
      "  healthy = np.isfinite(state).all() and 0.2 <= state[2] <= 1.0\n"
      "  healthy_reward = healthy * 1.0\n"
      "  ctrl_cost = 0.5 * np.sum(np.square(action))\n"
      "  contact_cost = 5e-4 * np.sum(np.square(np.clip(cfrc_ext, -1.0, 1.0)))\n"
      "  reward = (forward_reward + healthy_reward) - (ctrl_cost + contact_cost)\n"
      "  print(float(reward).hex(), float(-ctrl_cost).hex(), float(-contact_cost).hex(),\n"
      "        float(np.linalg.norm(qpos[0:2], ord=2)).hex())\n");
  std::istringstream lines(out);
  size_t compared = 0;
  for (std::string line; std::getline(lines, line); ++compared) {
    const std::vector<double> expected = ant_numbers(line);
    ASSERT_EQ(expected.size(), 4u) << "NumPy printed: " << out.substr(0, 2000);
    ASSERT_LT(compared, rewards.size());
    EXPECT_EQ(rewards[compared], expected[0]) << "step " << compared;
    EXPECT_EQ(ctrl[compared], expected[1]) << "step " << compared;
    EXPECT_EQ(contact[compared], expected[2]) << "step " << compared;
    EXPECT_EQ(distance[compared], expected[3]) << "step " << compared;
  }
  EXPECT_EQ(compared, 25u) << "NumPy printed: " << out.substr(0, 2000);
}

TEST(AntV5, TerminatesWhenTheTorsoLeavesTheHealthyZRangeUnlessToldNotTo) {
  for (const bool terminate : {true, false}) {
    std::unique_ptr<Env> env = make("Ant-v5", {{"terminate_when_unhealthy", terminate}});
    env->reset(uint64_t{1});
    Ant& a = unwrapped_ant(*env);
    std::vector<double> state = a.state_vector();
    state[2] = 3.0;  // far above healthy_z_range's 1.0: still above it after one step
    env->set_state(state);
    EXPECT_FALSE(a.is_healthy());
    const std::vector<float> action(kAntNu, 0.0f);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_EQ(t.terminated, terminate);
    EXPECT_EQ(a.info().at("reward_survive"), 0.0);
    EXPECT_EQ(t.reward, (a.info().at("reward_forward") + 0.0) -
                            (-a.info().at("reward_ctrl") - a.info().at("reward_contact")));
  }
  // The bounds are inclusive: z exactly at healthy_z_range's ends is healthy.
  std::unique_ptr<Env> env = make("Ant-v5", {{"healthy_z_range", {0.25, 0.5}}});
  env->reset(uint64_t{1});
  Ant& a = unwrapped_ant(*env);
  std::vector<double> state = a.state_vector();
  for (const double z : {0.25, 0.5}) {
    state[2] = z;
    env->set_state(state);
    EXPECT_TRUE(a.is_healthy()) << z;
  }
  state[2] = std::nextafter(0.5, 1.0);
  env->set_state(state);
  EXPECT_FALSE(a.is_healthy());
}

TEST(AntV5, TruncatesAfterOneThousandSteps) {
  std::unique_ptr<Env> env = make("Ant-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{0});
  for (int step = 1; step <= 1000; ++step) {
    const std::vector<float> action = ant_action(step);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_FALSE(t.terminated);
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(AntV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + np_random.uniform(low=-s, high=s, size=nq), then
  // qvel = init_qvel + s * np_random.standard_normal(nv), s = 0.1.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  u = r.uniform(low=-0.1, high=0.1, size=15)\n"
      "  n = 0.1 * r.standard_normal(14)\n"
      "  print(\" \".join(float(v).hex() for v in np.concatenate([u, n])))\n");
  std::unique_ptr<Env> env = make("Ant-v5");
  const Ant& a = unwrapped_ant(*env);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    const std::vector<double> state = a.state_vector();
    ASSERT_EQ(state.size(), 29u);
    const std::vector<double> noise = ant_numbers(line);
    ASSERT_EQ(noise.size(), 29u) << "NumPy printed: " << out;
    for (size_t i = 0; i < 29; ++i) {
      const double base = i < 15 ? a.init_qpos()[i] : a.init_qvel()[i - 15];
      EXPECT_EQ(state[i], base + noise[i]) << "seed " << seeds << " element " << i;
      if (i >= 2) {
        EXPECT_EQ(obs[i - 2], static_cast<float>(base + noise[i])) << "seed " << seeds;
      }
    }
    EXPECT_EQ(a.info().at("x_position"), state[0]);
    EXPECT_EQ(a.info().at("y_position"), state[1]);
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
  EXPECT_EQ(a.init_qpos()[2], 0.75);  // the torso's height in the model
}

TEST(AntV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env = make("Ant-v5", {{"forward_reward_weight", 2.0},
                                             {"ctrl_cost_weight", 0.0},
                                             {"contact_cost_weight", 0.0},
                                             {"healthy_reward", 3.0},
                                             {"main_body", 2},
                                             {"contact_force_range", {-0.5, 0.25}},
                                             {"reset_noise_scale", 0.0},
                                             {"exclude_current_positions_from_observation", false},
                                             {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  ASSERT_EQ(obs.size(), 107u);
  Ant& a = unwrapped_ant(*env);
  for (size_t i = 0; i < 15; ++i) EXPECT_EQ(obs[i], static_cast<float>(a.init_qpos()[i]));
  EXPECT_EQ(a.frame_skip(), 2);
  const double x_before = a.data().xpos[3 * 2];
  const std::vector<float> action = ant_action(3);
  const Transition t = env->step(std::span<const float>(action));
  EXPECT_EQ(t.observation[0], static_cast<float>(a.data().qpos[0]));  // x included
  for (size_t i = 29; i < 107; ++i) {
    EXPECT_GE(t.observation[i], -0.5f);
    EXPECT_LE(t.observation[i], 0.25f);
  }
  const double x_velocity = (a.data().xpos[3 * 2] - x_before) / a.dt();
  EXPECT_EQ(t.reward, (2.0 * x_velocity + 3.0) - 0.0);
  EXPECT_EQ(
      make("Ant-v5", {{"include_cfrc_ext_in_observation", false}})->observation_space().size(),
      27u);

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/ant.xml";
  EXPECT_EQ(make("Ant-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 105u);
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"main_body", 14}}), "main_body");
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"healthy_z_range", 0.2}}), "healthy_z_range");
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"healthy_z_range", {1.0, 0.2}}}), "healthy_z_range");
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"contact_force_range", {"a", 1}}}), "contact_force_range");
  EXPECT_ERROR_CONTAINS(make("Ant-v5", {{"contact_cost", 1.0}}),
                        "unknown option(s) for 'Ant-v5': 'contact_cost'");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(AntV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Ant-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
