// Hopper-v5 against Gymnasium's v5 definition (gymnasium/envs/mujoco/hopper_v5.py):
// observation layout (clipped velocities), reward terms, healthy checks, termination and info
// computed by hand from the MuJoCo state, the step against MuJoCo stepped directly, the
// 1000-step truncation, the options, and the reset states for seeds 0-9 and the control cost
// against NumPy (/usr/bin/python3 with python3-numpy; a missing NumPy fails the test).
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/mujoco/hopper.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "envs/planar_walker_testing.h"
#include "error_matchers.h"

namespace cairn {
namespace {

constexpr int kNq = 6, kNv = 6, kNu = 3;
using planar_walker_testing::action;

Hopper& unwrapped_hopper(Env& env) {
  return dynamic_cast<Hopper&>(env.unwrapped());
}

// Gymnasium's is_healthy with the default ranges, written out from the state.
bool healthy_by_hand(const mjData& d) {
  const double z = d.qpos[1], angle = d.qpos[2];
  bool ok = 0.7 < z && -0.2 < angle && angle < 0.2;
  for (int i = 2; i < kNq; ++i) ok = ok && -100.0 < d.qpos[i] && d.qpos[i] < 100.0;
  for (int i = 0; i < kNv; ++i) ok = ok && -100.0 < d.qvel[i] && d.qvel[i] < 100.0;
  return ok;
}

TEST(HopperV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("Hopper-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 3800.0);
  std::unique_ptr<Env> env = make("Hopper-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 11u);
  ASSERT_EQ(env->action_space().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(env->action_space().low()[i], -1.0f);
    EXPECT_EQ(env->action_space().high()[i], 1.0f);
  }
  Hopper& h = unwrapped_hopper(*env);
  EXPECT_EQ(h.model().nq, kNq);
  EXPECT_EQ(h.model().nv, kNv);
  EXPECT_EQ(h.frame_skip(), 4);
  EXPECT_DOUBLE_EQ(h.dt(), 0.008);
  EXPECT_EQ(h.init_qpos()[1], 1.25);  // rootz's reference: qpos[1] is the height
}

TEST(HopperV5, ObservationRewardAndInfoAreGymnasiumsTermsOfTheMujocoState) {
  // Without termination the hopper falls and keeps being stepped, so healthy and unhealthy
  // steps and clipped velocities all occur.
  std::unique_ptr<Env> env = make("Hopper-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{4});
  Hopper& h = unwrapped_hopper(*env);
  const mjData& d = h.data();
  EXPECT_EQ(h.info().at("x_position"), d.qpos[0]);  // the reset info
  EXPECT_EQ(h.info().at("z_distance_from_origin"), d.qpos[1] - 1.25);
  EXPECT_EQ(h.info().at("reward_survive"), 0.0);
  int healthy_steps = 0, unhealthy_steps = 0, clipped = 0;
  for (int step = 0; step < 300; ++step) {
    const double x_before = d.qpos[0];
    const std::vector<float> a = action(step, kNu);
    const Transition t = env->step(std::span<const float>(a));
    // Observation: qpos[1:] then qvel clipped to [-10, 10], rounded to float32.
    ASSERT_EQ(t.observation.size(), 11u);
    for (int i = 1; i < kNq; ++i) {
      EXPECT_EQ(t.observation[i - 1], static_cast<float>(d.qpos[i])) << "step " << step;
    }
    for (int i = 0; i < kNv; ++i) {
      EXPECT_EQ(t.observation[kNq - 1 + i], static_cast<float>(std::clamp(d.qvel[i], -10.0, 10.0)))
          << "step " << step;
      if (std::fabs(d.qvel[i]) > 10.0) ++clipped;
    }
    // reward = (forward_reward + healthy_reward) - ctrl_cost, weights 1, 1 and 1e-3.
    const bool healthy = healthy_by_hand(d);
    EXPECT_EQ(h.is_healthy(), healthy);
    (healthy ? healthy_steps : unhealthy_steps)++;
    const double x_velocity = (d.qpos[0] - x_before) / 0.008;
    float squared = 0.0f;
    for (float v : a) squared += v * v;
    EXPECT_DOUBLE_EQ(h.info().at("x_velocity"), x_velocity);
    EXPECT_EQ(h.info().at("x_position"), d.qpos[0]);
    EXPECT_EQ(h.info().at("z_distance_from_origin"), d.qpos[1] - h.init_qpos()[1]);
    EXPECT_DOUBLE_EQ(h.info().at("reward_forward"), 1.0 * x_velocity);
    EXPECT_EQ(h.info().at("reward_survive"), healthy ? 1.0 : 0.0) << "step " << step;
    EXPECT_EQ(h.info().at("reward_ctrl"), -(1e-3 * static_cast<double>(squared)));
    EXPECT_EQ(t.reward, (h.info().at("reward_forward") + h.info().at("reward_survive")) +
                            h.info().at("reward_ctrl"));
    EXPECT_FALSE(t.terminated);
    EXPECT_FALSE(t.truncated);
  }
  // The run covered both kinds of step and the clipping.
  EXPECT_GT(healthy_steps, 0);
  EXPECT_GT(unhealthy_steps, 0);
  EXPECT_GT(clipped, 0);
}

TEST(HopperV5, AStepIsFourMjStepsOfTheSameModel) {
  std::unique_ptr<Env> env = make("Hopper-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{7});
  Hopper& h = unwrapped_hopper(*env);
  MjModelPtr m = load_mjcf_text(builtin_mjcf("hopper.xml"), "hopper.xml");
  MjDataPtr d(mj_makeData(m.get()));
  const std::vector<double> state = h.state_vector();
  for (int i = 0; i < kNq; ++i) d->qpos[i] = state[i];
  for (int i = 0; i < kNv; ++i) d->qvel[i] = state[kNq + i];
  mj_forward(m.get(), d.get());
  for (int step = 0; step < 20; ++step) {
    const std::vector<float> a = action(step, kNu);
    env->step(std::span<const float>(a));
    for (int j = 0; j < kNu; ++j) d->ctrl[j] = a[j];
    for (int k = 0; k < 4; ++k) mj_step(m.get(), d.get());
    for (int i = 0; i < kNq; ++i) ASSERT_EQ(h.data().qpos[i], d->qpos[i]) << step;
    for (int i = 0; i < kNv; ++i) ASSERT_EQ(h.data().qvel[i], d->qvel[i]) << step;
    ASSERT_EQ(h.data().time, d->time);
  }
}

TEST(HopperV5, EachHealthyRangeIsStrictAndReadsItsOwnCoordinates) {
  std::unique_ptr<Env> env = make("Hopper-v5");
  env->reset(uint64_t{0});
  Hopper& h = unwrapped_hopper(*env);
  auto healthy_with = [&](int index, double value) {
    std::vector<double> state(kNq + kNv, 0.0);
    state[1] = 1.25;
    state[index] = value;
    env->set_state(state);
    return h.is_healthy();
  };
  EXPECT_TRUE(healthy_with(0, 0.0));
  EXPECT_TRUE(healthy_with(0, 1000.0));  // rootx: in no range
  EXPECT_TRUE(healthy_with(1, 150.0));   // the height: (0.7, inf), and not in the state check
  EXPECT_FALSE(healthy_with(1, 0.7));    // strict bound
  EXPECT_TRUE(healthy_with(1, 0.7000001));
  healthy_with(1, 1.25);  // NaN, which set_state refuses, written into the state directly
  h.mutable_data().qpos[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(h.is_healthy());
  EXPECT_FALSE(healthy_with(2, 0.2));  // the angle: (-0.2, 0.2)
  EXPECT_FALSE(healthy_with(2, -0.2));
  EXPECT_TRUE(healthy_with(2, 0.19));
  EXPECT_TRUE(healthy_with(3, 99.9));  // state_vector()[2:]: qpos[2:] and every qvel
  EXPECT_FALSE(healthy_with(3, 100.0));
  EXPECT_FALSE(healthy_with(5, -100.0));
  EXPECT_FALSE(healthy_with(kNq + 0, 100.0));  // rootx's velocity is in the state check
  EXPECT_FALSE(healthy_with(kNq + 5, -100.5));
  EXPECT_TRUE(healthy_with(kNq + 1, 99.0));

  // Other ranges through the options.
  std::unique_ptr<Env> wide = make("Hopper-v5", {{"healthy_angle_range", {-1.0, "inf"}},
                                                 {"healthy_state_range", {"-inf", "inf"}},
                                                 {"healthy_z_range", {0.0, 2.0}}});
  wide->reset(uint64_t{0});
  Hopper& w = unwrapped_hopper(*wide);
  std::vector<double> state(kNq + kNv, 0.0);
  state[1] = 1.9;
  state[2] = 5.0;
  state[kNq + 3] = 1e6;
  wide->set_state(state);
  EXPECT_TRUE(w.is_healthy());
  state[1] = 2.0;
  wide->set_state(state);
  EXPECT_FALSE(w.is_healthy());
}

TEST(HopperV5, AnUnhealthyStepTerminatesAndEarnsNoSurvivalReward) {
  // Tilted past the angle range and still: unhealthy after the step too.
  for (const bool terminate : {true, false}) {
    std::unique_ptr<Env> env = make("Hopper-v5", {{"terminate_when_unhealthy", terminate}});
    env->reset(uint64_t{1});
    Hopper& h = unwrapped_hopper(*env);
    std::vector<double> state(kNq + kNv, 0.0);
    state[1] = 1.25;
    state[2] = 0.5;
    env->set_state(state);
    const std::vector<float> zero(kNu, 0.0f);
    const Transition t = env->step(std::span<const float>(zero));
    EXPECT_FALSE(h.is_healthy());
    EXPECT_EQ(t.terminated, terminate);
    EXPECT_EQ(h.info().at("reward_survive"), 0.0);
    EXPECT_EQ(h.info().at("reward_ctrl"), 0.0);
    EXPECT_EQ(t.reward, h.info().at("reward_forward"));
  }
  // With the defaults, an episode of these actions ends by termination, at the first step
  // whose state is unhealthy.
  std::unique_ptr<Env> env = make("Hopper-v5");
  env->reset(uint64_t{3});
  Hopper& h = unwrapped_hopper(*env);
  int step = 0;
  for (;; ++step) {
    ASSERT_LT(step, 1000) << "never terminated";
    const std::vector<float> a = action(step, kNu);
    const Transition t = env->step(std::span<const float>(a));
    ASSERT_EQ(t.terminated, !healthy_by_hand(h.data())) << "step " << step;
    if (t.terminated) {
      EXPECT_EQ(h.info().at("reward_survive"), 0.0);
      break;
    }
    EXPECT_EQ(h.info().at("reward_survive"), 1.0);
  }
  EXPECT_GT(step, 0);
}

TEST(HopperV5, TruncatesAfterOneThousandSteps) {
  std::unique_ptr<Env> env = make("Hopper-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{0});
  for (int step = 1; step <= 1000; ++step) {
    const std::vector<float> a = action(step, kNu);
    const Transition t = env->step(std::span<const float>(a));
    EXPECT_FALSE(t.terminated);
    ASSERT_EQ(t.truncated, step == 1000) << "step " << step;
  }
}

TEST(HopperV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + uniform(-s, s, nq), then qvel = init_qvel + uniform(-s, s,
  // nv), s = 5e-3; NumPy prints the noise, init_qpos/init_qvel come from the model.
  const auto noise = planar_walker_testing::numpy_uniform_reset_noise(10, kNq, kNv, 5e-3);
  ASSERT_EQ(noise.size(), 10u);
  std::unique_ptr<Env> env = make("Hopper-v5");
  const Hopper& h = unwrapped_hopper(*env);
  for (int seed = 0; seed < 10; ++seed) {
    ASSERT_EQ(noise[seed].size(), size_t{kNq + kNv});
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seed));
    const std::vector<double> state = h.state_vector();
    ASSERT_EQ(state.size(), size_t{kNq + kNv});
    for (int i = 0; i < kNq + kNv; ++i) {
      const double base = i < kNq ? h.init_qpos()[i] : h.init_qvel()[i - kNq];
      EXPECT_EQ(state[i], base + noise[seed][i]) << "seed " << seed << " element " << i;
      if (i >= 1) {
        EXPECT_EQ(obs[i - 1], static_cast<float>(base + noise[seed][i]));
      }
    }
    EXPECT_EQ(h.info().at("x_position"), state[0]);
    EXPECT_EQ(h.info().at("z_distance_from_origin"), state[1] - 1.25);
  }
}

TEST(HopperV5, ControlCostEqualsGymnasiumsNumPyExpression) {
  std::vector<std::vector<float>> actions;
  for (int step = 0; step < 50; ++step) {
    std::vector<float> a = action(step, kNu);
    for (float& v : a) v = planar_walker_testing::as_numpy_sees(v);
    actions.push_back(a);
  }
  const std::vector<double> costs = planar_walker_testing::numpy_ctrl_costs(actions, 1e-3);
  ASSERT_EQ(costs.size(), 50u);
  std::unique_ptr<Env> env = make("Hopper-v5", {{"terminate_when_unhealthy", false}});
  env->reset(uint64_t{2});
  const Hopper& h = unwrapped_hopper(*env);
  for (size_t i = 0; i < actions.size(); ++i) {
    env->step(std::span<const float>(actions[i]));
    EXPECT_EQ(h.info().at("reward_ctrl"), -costs[i]) << "action " << i;
  }
}

TEST(HopperV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("Hopper-v5", {{"forward_reward_weight", 2.0},
                         {"ctrl_cost_weight", 0.0},
                         {"healthy_reward", 0.5},
                         {"reset_noise_scale", 0.0},
                         {"exclude_current_positions_from_observation", false},
                         {"frame_skip", 2}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  ASSERT_EQ(obs.size(), 12u);
  Hopper& h = unwrapped_hopper(*env);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(obs[i], static_cast<float>(h.init_qpos()[i]));
  for (size_t i = 6; i < 12; ++i) EXPECT_EQ(obs[i], 0.0f);
  EXPECT_EQ(h.frame_skip(), 2);
  const double x_before = h.data().qpos[0];
  const std::vector<float> a = action(3, kNu);
  const Transition t = env->step(std::span<const float>(a));
  EXPECT_EQ(t.observation[0], static_cast<float>(h.data().qpos[0]));  // rootx included
  ASSERT_TRUE(h.is_healthy());
  const double x_velocity = (h.data().qpos[0] - x_before) / h.dt();
  EXPECT_DOUBLE_EQ(h.dt(), 2 * h.model().opt.timestep);
  EXPECT_DOUBLE_EQ(t.reward, 2.0 * x_velocity + 0.5);
  EXPECT_EQ(h.info().at("reward_survive"), 0.5);
  EXPECT_EQ(h.info().at("reward_ctrl"), 0.0);

  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/hopper.xml";
  EXPECT_EQ(make("Hopper-v5", {{"xml_file", gymnasium_model}})->observation_space().size(), 11u);
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"frame_skip", 0}}), "frame_skip");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"contact_cost_weight", 1.0}}),
                        "unknown option(s) for 'Hopper-v5': 'contact_cost_weight'");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"healthy_reward", "high"}}), "healthy_reward");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"healthy_z_range", 0.7}}),
                        "option 'healthy_z_range' of 'Hopper-v5' must be a range [min, max]");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"healthy_state_range", {1.0, 2.0, 3.0}}}),
                        "healthy_state_range");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"healthy_angle_range", {0.2, "infinity"}}}),
                        "healthy_angle_range");
  EXPECT_ERROR_CONTAINS(make("Hopper-v5", {{"healthy_angle_range", {0.2, -0.2}}}),
                        "Hopper: option 'healthy_angle_range' must be a range (min, max) with "
                        "min <= max, got (0.200000, -0.200000)");
  Hopper::Options nan_weight;
  nan_weight.forward_reward_weight = std::nan("");
  EXPECT_ERROR_CONTAINS(Hopper{nan_weight},
                        "Hopper: option 'forward_reward_weight' must be finite");
  // A model without the planar root is refused by name.
  EXPECT_ERROR_CONTAINS(
      Hopper(load_mjcf_text(builtin_mjcf("inverted_pendulum.xml"), "inverted_pendulum.xml"),
             Hopper::Options{}),
      "Hopper: the model must have at least 3 position coordinates");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(HopperV5, MujocoIsInstalled) {
  EXPECT_ERROR_CONTAINS(cairn::make("Hopper-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
