// Humanoid-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/humanoid_v5.py):
// observation layout, reward terms, termination and info from the MuJoCo state, the rewards
// against Gymnasium's NumPy expressions evaluated by /usr/bin/python3 on the same state, the
// reset states for seeds 0-9 against NumPy's generator, truncation and options. A missing
// NumPy fails the tests.
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <algorithm>
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
#include "cairn/env/mujoco/humanoid.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

constexpr int kHumanoidNq = 24, kHumanoidNv = 23, kHumanoidNu = 17, kHumanoidNbody = 14;

Humanoid& unwrapped_humanoid(Env& env) {
  return dynamic_cast<Humanoid&>(env.unwrapped());
}

// A deterministic, varied action sequence in [-0.4, 0.4] (some components at the bounds).
std::vector<float> humanoid_action(int step) {
  std::vector<float> a(kHumanoidNu);
  for (int j = 0; j < kHumanoidNu; ++j) {
    a[j] = static_cast<float>(0.4 * std::sin(0.53 * step + 0.7 * j));
    if ((step + j) % 6 == 0) a[j] = (j % 2 == 0) ? 0.4f : -0.4f;
  }
  return a;
}

// The exact text of a double for Python's float.fromhex.
std::string humanoid_hex(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", v);
  return buffer;
}

std::vector<double> humanoid_numbers(const std::string& line) {
  std::vector<double> v;
  std::istringstream words(line);
  for (std::string w; words >> w;) v.push_back(std::strtod(w.c_str(), nullptr));
  return v;
}

TEST(HumanoidV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Humanoid-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_FALSE(spec.reward_threshold.has_value());
  std::unique_ptr<Env> env = make("Humanoid-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 348u);
  EXPECT_EQ(env->action_space().size(), 17u);
  for (size_t i = 0; i < 17; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -0.4f);
    EXPECT_EQ(env->action_space().high()[i], 0.4f);
  }
  Humanoid& h = unwrapped_humanoid(*env);
  EXPECT_EQ(h.model().nq, kHumanoidNq);
  EXPECT_EQ(h.model().nv, kHumanoidNv);
  EXPECT_EQ(h.model().nbody, kHumanoidNbody);
  EXPECT_EQ(h.model().ntendon, 2);
  EXPECT_EQ(h.frame_skip(), 5);
  EXPECT_DOUBLE_EQ(h.dt(), 0.015);
}

TEST(HumanoidV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  std::unique_ptr<Env> env = make("Humanoid-v5");
  env->reset(uint64_t{4});
  Humanoid& h = unwrapped_humanoid(*env);
  const mjModel& m = h.model();
  const mjData& d = h.data();
  EXPECT_EQ(h.info().at("x_position"), d.qpos[0]);  // the reset info
  EXPECT_EQ(h.info().at("tendon_length[1]"), d.ten_length[1]);
  EXPECT_EQ(h.info().at("reward_forward"), 0.0);
  int steps = 0;
  double contact_seen = 0.0;
  for (int step = 0; step < 200; ++step, ++steps) {
    const std::vector<float> action = humanoid_action(step);
    // The centre of mass by hand, before.
    auto center = [&](int axis) {
      double s = 0.0, mass = 0.0;
      for (int b = 0; b < m.nbody; ++b) {
        s += m.body_mass[b] * d.xipos[3 * b + axis];
        mass += m.body_mass[b];
      }
      return s / mass;
    };
    const double x_before = center(0), y_before = center(1);
    const Transition t = env->step(std::span<const float>(action));
    // Observation: qpos[2:], qvel, cinert[1:], cvel[1:], qfrc_actuator[6:], cfrc_ext[1:].
    ASSERT_EQ(t.observation.size(), 348u);
    size_t k = 0;
    auto expect_part = [&](const double* values, int n, const char* part) {
      for (int i = 0; i < n; ++i, ++k) {
        ASSERT_EQ(t.observation[k], static_cast<float>(values[i])) << part << " " << i;
      }
    };
    expect_part(d.qpos + 2, 22, "qpos");
    expect_part(d.qvel, 23, "qvel");
    expect_part(d.cinert + 10, 130, "cinert");
    expect_part(d.cvel + 6, 78, "cvel");
    expect_part(d.qfrc_actuator + 6, 17, "qfrc_actuator");
    expect_part(d.cfrc_ext + 6, 78, "cfrc_ext");
    EXPECT_EQ(k, 348u);

    const double x_velocity = (center(0) - x_before) / 0.015;
    EXPECT_NEAR(h.info().at("x_velocity"), x_velocity, 1e-9);
    EXPECT_NEAR(h.info().at("y_velocity"), (center(1) - y_before) / 0.015, 1e-9);
    EXPECT_EQ(h.info().at("x_position"), d.qpos[0]);
    EXPECT_EQ(h.info().at("y_position"), d.qpos[1]);
    EXPECT_DOUBLE_EQ(h.info().at("distance_from_origin"), std::hypot(d.qpos[0], d.qpos[1]));
    EXPECT_EQ(h.info().at("tendon_length[0]"), d.ten_length[0]);
    EXPECT_EQ(h.info().at("tendon_velocity[1]"), d.ten_velocity[1]);
    EXPECT_EQ(h.info().at("reward_forward"), 1.25 * h.info().at("x_velocity"));
    const bool healthy = 1.0 < d.qpos[2] && d.qpos[2] < 2.0;
    EXPECT_EQ(h.info().at("reward_survive"), healthy ? 5.0 : 0.0);
    double ctrl = 0.0, contact = 0.0;
    for (int j = 0; j < kHumanoidNu; ++j) {
      EXPECT_EQ(d.ctrl[j], static_cast<double>(action[j]));
      ctrl += d.ctrl[j] * d.ctrl[j];
    }
    for (int i = 0; i < 6 * kHumanoidNbody; ++i) contact += d.cfrc_ext[i] * d.cfrc_ext[i];
    EXPECT_NEAR(h.info().at("reward_ctrl"), -0.1 * ctrl, 1e-15);
    EXPECT_NEAR(h.info().at("reward_contact"), -std::min(5e-7 * contact, 10.0), 1e-15);
    contact_seen += contact;
    EXPECT_EQ(t.reward, (h.info().at("reward_forward") + h.info().at("reward_survive")) -
                            (-h.info().at("reward_ctrl") - h.info().at("reward_contact")));
    EXPECT_EQ(t.terminated, !healthy);
    EXPECT_FALSE(t.truncated);
    if (t.terminated) break;
  }
  EXPECT_GT(steps, 10);
  EXPECT_LT(steps, 200);  // it fell: the termination was exercised
  EXPECT_GT(contact_seen, 0.0);
}

TEST(HumanoidV5, RewardsEqualGymnasiumsNumPyExpressionsOnTheSameState) {
  // For 15 steps, the state Gymnasium's step reads (xipos before and after, data.ctrl, qpos,
  // cfrc_ext; body_mass once) goes to NumPy, which evaluates humanoid_v5.py's expressions.
  std::unique_ptr<Env> env = make("Humanoid-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{11});
  Humanoid& h = unwrapped_humanoid(*env);
  const mjModel& m = h.model();
  const mjData& d = h.data();
  std::string masses;
  for (int b = 0; b < kHumanoidNbody; ++b) masses += humanoid_hex(m.body_mass[b]) + " ";
  std::string states;
  std::vector<double> rewards, forward, ctrl, contact;
  for (int step = 0; step < 15; ++step) {
    const std::vector<float> action = humanoid_action(step);
    std::string line;
    for (int i = 0; i < 3 * kHumanoidNbody; ++i) line += humanoid_hex(d.xipos[i]) + " ";
    const Transition t = env->step(std::span<const float>(action));
    for (int i = 0; i < 3 * kHumanoidNbody; ++i) line += humanoid_hex(d.xipos[i]) + " ";
    for (int j = 0; j < kHumanoidNu; ++j) line += humanoid_hex(d.ctrl[j]) + " ";
    for (int i = 0; i < kHumanoidNq; ++i) line += humanoid_hex(d.qpos[i]) + " ";
    for (int i = 0; i < 6 * kHumanoidNbody; ++i) line += humanoid_hex(d.cfrc_ext[i]) + " ";
    states += line + "\n";
    rewards.push_back(t.reward);
    forward.push_back(h.info().at("reward_forward"));
    ctrl.push_back(h.info().at("reward_ctrl"));
    contact.push_back(h.info().at("reward_contact"));
  }
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "mass = np.expand_dims(np.array([float.fromhex(w) for w in \"" +
      masses +
      "\".split()]), axis=1)\n"
      "def mass_center(xipos):\n"
      "  return (np.sum(mass * xipos, axis=0) / np.sum(mass))[0:2].copy()\n"
      "for line in \"\"\"" +
      states +
      "\"\"\".strip().split(\"\\n\"):\n"
      "  v = [float.fromhex(w) for w in line.split()]\n"
      "  before = mass_center(np.array(v[0:42]).reshape(14, 3))\n"
      "  after = mass_center(np.array(v[42:84]).reshape(14, 3))\n"
      "  ctrl = np.array(v[84:101])\n"
      "  qpos = np.array(v[101:125])\n"
      "  cfrc_ext = np.array(v[125:209]).reshape(14, 6)\n"
      "  x_velocity, y_velocity = (after - before) / 0.015\n"
      "  forward_reward = 1.25 * x_velocity\n"
      "  healthy_reward = (1.0 < qpos[2] < 2.0) * 5.0\n"
      "  ctrl_cost = 0.1 * np.sum(np.square(ctrl))\n"
      "  contact_cost = np.clip(5e-7 * np.sum(np.square(cfrc_ext)), -np.inf, 10.0)\n"
      "  reward = (forward_reward + healthy_reward) - (ctrl_cost + contact_cost)\n"
      "  print(float(reward).hex(), float(forward_reward).hex(), float(-ctrl_cost).hex(),\n"
      "        float(-contact_cost).hex())\n");
  std::istringstream lines(out);
  size_t compared = 0;
  for (std::string line; std::getline(lines, line); ++compared) {
    const std::vector<double> expected = humanoid_numbers(line);
    ASSERT_EQ(expected.size(), 4u) << "NumPy printed: " << out.substr(0, 2000);
    ASSERT_LT(compared, rewards.size());
    EXPECT_EQ(rewards[compared], expected[0]) << "step " << compared;
    EXPECT_EQ(forward[compared], expected[1]) << "step " << compared;
    EXPECT_EQ(ctrl[compared], expected[2]) << "step " << compared;
    EXPECT_EQ(contact[compared], expected[3]) << "step " << compared;
  }
  EXPECT_EQ(compared, 15u) << "NumPy printed: " << out.substr(0, 2000);
}

TEST(HumanoidV5, TerminatesOutsideTheOpenHealthyZRangeUnlessToldNotTo) {
  for (const bool terminate : {true, false}) {
    std::unique_ptr<Env> env = make("Humanoid-v5", {{"terminate_when_unhealthy", terminate}});
    env->reset(uint64_t{1});
    Humanoid& h = unwrapped_humanoid(*env);
    std::vector<double> state = h.state_vector();
    state[2] = 0.5;  // below healthy_z_range's 1.0 (and still after one step)
    env->set_state(state);
    EXPECT_FALSE(h.is_healthy());
    const std::vector<float> action(kHumanoidNu, 0.0f);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_EQ(t.terminated, terminate);
    EXPECT_EQ(h.info().at("reward_survive"), 0.0);
  }
  // The bounds are exclusive: z exactly at an end is unhealthy.
  std::unique_ptr<Env> env = make("Humanoid-v5");
  env->reset(uint64_t{1});
  Humanoid& h = unwrapped_humanoid(*env);
  std::vector<double> state = h.state_vector();
  for (const double z : {1.0, 2.0}) {
    state[2] = z;
    env->set_state(state);
    EXPECT_FALSE(h.is_healthy()) << z;
  }
  state[2] = std::nextafter(1.0, 2.0);
  env->set_state(state);
  EXPECT_TRUE(h.is_healthy());
}

TEST(HumanoidV5, TruncatesAfterOneThousandSteps) {
  std::unique_ptr<Env> env = make("Humanoid-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{0});
  for (int step = 1; step <= 1000; ++step) {
    const std::vector<float> action = humanoid_action(step);
    const Transition t = env->step(std::span<const float>(action));
    EXPECT_FALSE(t.terminated);
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(HumanoidV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + np_random.uniform(low=-s, high=s, size=nq), then
  // qvel = init_qvel + np_random.uniform(low=-s, high=s, size=nv), s = 0.01.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  u = r.uniform(low=-0.01, high=0.01, size=24)\n"
      "  w = r.uniform(low=-0.01, high=0.01, size=23)\n"
      "  print(\" \".join(float(v).hex() for v in np.concatenate([u, w])))\n");
  std::unique_ptr<Env> env = make("Humanoid-v5");
  const Humanoid& h = unwrapped_humanoid(*env);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    const std::vector<double> state = h.state_vector();
    ASSERT_EQ(state.size(), 47u);
    const std::vector<double> noise = humanoid_numbers(line);
    ASSERT_EQ(noise.size(), 47u) << "NumPy printed: " << out;
    for (size_t i = 0; i < 47; ++i) {
      const double base = i < 24 ? h.init_qpos()[i] : h.init_qvel()[i - 24];
      EXPECT_EQ(state[i], base + noise[i]) << "seed " << seeds << " element " << i;
      if (i >= 2) {
        EXPECT_EQ(obs[i - 2], static_cast<float>(base + noise[i])) << "seed " << seeds;
      }
    }
    EXPECT_EQ(h.info().at("x_position"), state[0]);
    EXPECT_EQ(h.info().at("tendon_length[0]"), h.data().ten_length[0]);
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
  EXPECT_EQ(h.init_qpos()[2], 1.4);  // the torso's height in the model
}

TEST(HumanoidV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("Humanoid-v5", {{"forward_reward_weight", 2.0},
                           {"ctrl_cost_weight", 0.0},
                           {"contact_cost_weight", 0.0},
                           {"contact_cost_range", {0.25, "inf"}},
                           {"healthy_reward", 3.0},
                           {"reset_noise_scale", 0.0},
                           {"exclude_current_positions_from_observation", false},
                           {"include_cinert_in_observation", false},
                           {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  ASSERT_EQ(obs.size(), 350u - 130u);
  Humanoid& h = unwrapped_humanoid(*env);
  for (size_t i = 0; i < 24; ++i) EXPECT_EQ(obs[i], static_cast<float>(h.init_qpos()[i]));
  EXPECT_EQ(h.frame_skip(), 2);
  const std::array<double, 2> before = h.mass_center();
  const std::vector<float> action = humanoid_action(3);
  const Transition t = env->step(std::span<const float>(action));
  EXPECT_EQ(t.observation[0], static_cast<float>(h.data().qpos[0]));   // x included
  EXPECT_EQ(t.observation[47], static_cast<float>(h.data().cvel[6]));  // no cinert
  const double x_velocity = (h.mass_center()[0] - before[0]) / h.dt();
  // A contact cost of 0 (weight 0) clipped up to contact_cost_range's low end.
  EXPECT_EQ(h.info().at("reward_contact"), -0.25);
  EXPECT_EQ(t.reward, (2.0 * x_velocity + 3.0) - (0.0 + 0.25));
  EXPECT_EQ(make("Humanoid-v5", {{"include_cvel_in_observation", false},
                                 {"include_qfrc_actuator_in_observation", false},
                                 {"include_cfrc_ext_in_observation", false}})
                ->observation_space()
                .size(),
            348u - 78u - 17u - 78u);

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/humanoid.xml";
  EXPECT_EQ(make("Humanoid-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 348u);
  EXPECT_ERROR_CONTAINS(make("Humanoid-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Humanoid-v5", {{"healthy_z_range", {2.0, 1.0}}}), "healthy_z_range");
  EXPECT_ERROR_CONTAINS(make("Humanoid-v5", {{"contact_cost_range", {1, 2, 3}}}),
                        "contact_cost_range");
  EXPECT_ERROR_CONTAINS(make("Humanoid-v5", {{"main_body", 1}}),
                        "unknown option(s) for 'Humanoid-v5': 'main_body'");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(HumanoidV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Humanoid-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
