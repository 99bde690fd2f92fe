// Unit tests of the built-in classic-control environments: registration, options, the
// Env protocol with bad input, clipping, and the behaviour the conformance replay cannot
// reach (options other than the defaults, the semi-implicit CartPole integrator).
//
// Expected values come from Gymnasium's documented behaviour, never from numbers made up
// here; the bit-level comparison with Gymnasium is in conformance_test.cpp.
#include <gtest/gtest.h>

#include "error_matchers.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/envs/acrobot.h"
#include "cairn/envs/cartpole.h"
#include "cairn/envs/mountain_car.h"
#include "cairn/envs/mountain_car_continuous.h"
#include "cairn/envs/pendulum.h"
#include "cairn/error.h"

namespace cairn {
namespace {

const char* const kBuiltinIds[] = {"CartPole-v1", "Pendulum-v1", "MountainCar-v0",
                                   "MountainCarContinuous-v0", "Acrobot-v1"};

Transition step_box(Env& env, float a) {
  return env.step(std::span<const float>(&a, 1));
}

// --- Registration ---------------------------------------------------------------------

TEST(BuiltinEnvs, AreRegisteredWithGymnasiumTimeLimitsAndThresholds) {
  // Gymnasium 1.2.2, gymnasium/envs/__init__.py.
  struct Expected {
    const char* id;
    int64_t max_episode_steps;
    std::optional<double> reward_threshold;
  };
  const Expected expected[] = {{"CartPole-v1", 500, 475.0},
                               {"Pendulum-v1", 200, std::nullopt},
                               {"MountainCar-v0", 200, -110.0},
                               {"MountainCarContinuous-v0", 999, 90.0},
                               {"Acrobot-v1", 500, -100.0}};
  for (const Expected& e : expected) {
    ASSERT_TRUE(is_registered(e.id)) << e.id;
    const EnvSpec spec = env_spec(e.id);
    EXPECT_EQ(spec.max_episode_steps, e.max_episode_steps) << e.id;
    EXPECT_EQ(spec.reward_threshold, e.reward_threshold) << e.id;
    EXPECT_FALSE(spec.description.empty()) << e.id;
  }
}

TEST(BuiltinEnvs, PassCheckEnv) {
  for (const char* id : kBuiltinIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = make(id);
    EXPECT_NO_THROW(check_env(*env, 7));
    std::unique_ptr<Env> raw = make(id, {{"max_episode_steps", nullptr}});
    EXPECT_NO_THROW(check_env(*raw, 11, 300));
  }
}

TEST(BuiltinEnvs, HaveGymnasiumSpaces) {
  EXPECT_EQ(make("CartPole-v1")->action_space(), Space::discrete(2));
  EXPECT_EQ(make("MountainCar-v0")->action_space(), Space::discrete(3));
  EXPECT_EQ(make("Acrobot-v1")->action_space(), Space::discrete(3));
  EXPECT_EQ(make("Pendulum-v1")->action_space(), Space::box(-2.0f, 2.0f, {1}));
  EXPECT_EQ(make("MountainCarContinuous-v0")->action_space(), Space::box(-1.0f, 1.0f, {1}));
  EXPECT_EQ(make("CartPole-v1")->observation_space().size(), 4u);
  EXPECT_EQ(make("Pendulum-v1")->observation_space().size(), 3u);
  EXPECT_EQ(make("MountainCar-v0")->observation_space().size(), 2u);
  EXPECT_EQ(make("MountainCarContinuous-v0")->observation_space().size(), 2u);
  EXPECT_EQ(make("Acrobot-v1")->observation_space().size(), 6u);
  for (const char* id : kBuiltinIds) EXPECT_TRUE(make(id)->has_state()) << id;
  EXPECT_TRUE(make("Pendulum-v1")->clips_box_actions());
  EXPECT_TRUE(make("MountainCarContinuous-v0")->clips_box_actions());
}

TEST(BuiltinEnvs, ResetWithTheSameSeedGivesTheSameStateAndDifferentSeedsDiffer) {
  for (const char* id : kBuiltinIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = make(id);
    const std::vector<float> a = env->reset(3);
    const std::vector<double> sa = env->get_state();
    const std::vector<float> b = env->reset(4);
    EXPECT_NE(sa, env->get_state());
    const std::vector<float> c = env->reset(3);
    EXPECT_EQ(a, c);
    EXPECT_EQ(sa, env->get_state());
    EXPECT_NE(a, b);
  }
}

// --- Options ----------------------------------------------------------------------------

TEST(BuiltinEnvs, RejectUnknownOptionsNamingTheKey) {
  for (const char* id : kBuiltinIds) {
    testing::expect_error_containing_all(
        [&] {
          make(id, {{"gravity_typo", 1.0}});
        },
        {"gravity_typo", id});
  }
  // Gymnasium's Acrobot-v1 takes no options.
  testing::expect_error_containing_all(
      [] {
        make("Acrobot-v1", {{"book_or_nips", "nips"}});
      },
      {"book_or_nips"});
  // Options of one environment are not accepted by another.
  testing::expect_error_containing_all([] { make("CartPole-v1", {{"g", 9.81}}); }, {"'g'"});
  testing::expect_error_containing_all(
      [] {
        make("Pendulum-v1", {{"goal_velocity", 0.1}});
      },
      {"goal_velocity"});
}

TEST(BuiltinEnvs, RejectOptionsOfTheWrongType) {
  testing::expect_error_containing_all(
      [] {
        make("Pendulum-v1", {{"g", "ten"}});
      },
      {"'g'", "number"});
  testing::expect_error_containing_all(
      [] {
        make("CartPole-v1", {{"sutton_barto_reward", 1}});
      },
      {"sutton_barto_reward"});
  testing::expect_error_containing_all(
      [] {
        make("MountainCar-v0", {{"goal_velocity", true}});
      },
      {"goal_velocity"});
}

TEST(BuiltinEnvs, RejectNonFiniteNumericOptions) {
  const double inf = std::numeric_limits<double>::infinity();
  testing::expect_error_containing_all([&] { Pendulum p(inf); }, {"g", "finite"});
  testing::expect_error_containing_all([&] { MountainCar m(std::nan("")); },
                                       {"goal_velocity", "finite"});
  testing::expect_error_containing_all([&] { MountainCarContinuous m(-inf); },
                                       {"goal_velocity", "finite"});
}

// --- Protocol and bad input --------------------------------------------------------------

TEST(BuiltinEnvs, RefuseStepBeforeReset) {
  for (const char* id : kBuiltinIds) {
    std::unique_ptr<Env> env = make(id);
    if (env->action_space().is_box()) {
      testing::expect_error_containing_all([&] { step_box(*env, 0.0f); }, {"before reset"});
    } else {
      testing::expect_error_containing_all([&] { env->step(int64_t{0}); }, {"before reset"});
    }
  }
}

TEST(BuiltinEnvs, RefuseStepAfterTermination) {
  // A cart already past the edge terminates on the next step.
  std::unique_ptr<Env> env = make("CartPole-v1");
  env->reset(0);
  env->set_state(std::vector<double>{2.5, 1.0, 0.0, 0.0});
  const Transition t = env->step(int64_t{1});
  EXPECT_TRUE(t.terminated);
  EXPECT_FALSE(env->episode_active());
  testing::expect_error_containing_all([&] { env->step(int64_t{1}); }, {"reset"});
  env->reset(1);
  EXPECT_NO_THROW(env->step(int64_t{1}));
}

TEST(BuiltinEnvs, RefuseStepAfterTruncation) {
  std::unique_ptr<Env> env = make("Pendulum-v1", {{"max_episode_steps", 3}});
  env->reset(0);
  EXPECT_FALSE(step_box(*env, 0.5f).truncated);
  EXPECT_FALSE(step_box(*env, 0.5f).truncated);
  const Transition last = step_box(*env, 0.5f);
  EXPECT_TRUE(last.truncated);
  EXPECT_FALSE(last.terminated);
  testing::expect_error_containing_all([&] { step_box(*env, 0.5f); }, {"reset"});
}

TEST(BuiltinEnvs, RefuseDiscreteActionsOutsideTheSpace) {
  for (const char* id : {"CartPole-v1", "MountainCar-v0", "Acrobot-v1"}) {
    std::unique_ptr<Env> env = make(id);
    env->reset(0);
    const int64_t n = env->action_space().nvec()[0];
    testing::expect_error_containing_all([&] { env->step(n); },
                                         {"invalid action", std::to_string(n)});
    testing::expect_error_containing_all([&] { env->step(int64_t{-1}); }, {"invalid action", "-1"});
    const float f = 0.0f;
    testing::expect_error_containing_all([&] { env->step(std::span<const float>(&f, 1)); },
                                         {"float action"});
    const int64_t two[] = {0, 0};
    testing::expect_error_containing_all([&] { env->step(std::span<const int64_t>(two)); },
                                         {"2 elements"});
    EXPECT_TRUE(env->episode_active()) << id << ": a refused action must not end the episode";
    EXPECT_NO_THROW(env->step(int64_t{0}));
  }
}

TEST(BuiltinEnvs, RefuseMalformedBoxActions) {
  for (const char* id : {"Pendulum-v1", "MountainCarContinuous-v0"}) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = make(id);
    env->reset(0);
    const std::vector<double> before = env->get_state();
    const float two[] = {0.1f, 0.2f};
    testing::expect_error_containing_all([&] { env->step(std::span<const float>(two)); },
                                         {"2 elements", "needs 1"});
    testing::expect_error_containing_all([&] { env->step(std::span<const float>()); },
                                         {"0 elements"});
    testing::expect_error_containing_all(
        [&] { step_box(*env, std::numeric_limits<float>::quiet_NaN()); }, {"not finite"});
    testing::expect_error_containing_all(
        [&] { step_box(*env, std::numeric_limits<float>::infinity()); }, {"not finite"});
    testing::expect_error_containing_all([&] { env->step(int64_t{0}); }, {"integer action"});
    EXPECT_EQ(env->get_state(), before) << "a refused action must not change the state";
    EXPECT_NO_THROW(step_box(*env, 0.0f));
  }
}

TEST(BuiltinEnvs, SetStateRefusesWrongLengthAndNonFiniteValues) {
  for (const char* id : kBuiltinIds) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = make(id);
    env->reset(0);
    const std::vector<double> good = env->get_state();
    std::vector<double> longer = good;
    longer.push_back(0.0);
    testing::expect_error_containing_all(
        [&] { env->set_state(longer); },
        {std::to_string(longer.size()) + " elements", std::to_string(good.size())});
    testing::expect_error_containing_all([&] { env->set_state(std::vector<double>{}); },
                                         {"0 elements"});
    for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
      std::vector<double> s = good;
      s.back() = bad;
      testing::expect_error_containing_all(
          [&] { env->set_state(s); }, {"element " + std::to_string(s.size() - 1), "not finite"});
    }
    EXPECT_EQ(env->get_state(), good) << "a refused state must not change the state";
    // And a valid state round-trips exactly, through the TimeLimit wrapper too.
    std::vector<double> other = good;
    other[0] = good[0] / 3.0;
    env->set_state(other);
    EXPECT_EQ(env->get_state(), other);
    EXPECT_EQ(env->unwrapped().get_state(), other);
  }
}

// --- Clipping ---------------------------------------------------------------------------

// The state and observation after an out-of-bound action equal those after the action
// clipped to the bounds.
void expect_clipped_dynamics(const char* id, float outside, float bound, bool same_reward) {
  SCOPED_TRACE(std::string(id) + " action " + std::to_string(outside));
  std::unique_ptr<Env> clipped = make(id);
  std::unique_ptr<Env> given = make(id);
  clipped->reset(5);
  given->reset(5);
  for (int i = 0; i < 20; ++i) {
    const Transition a = step_box(*clipped, bound);
    const Transition b = step_box(*given, outside);
    ASSERT_EQ(a.observation, b.observation) << "step " << i;
    ASSERT_EQ(clipped->get_state(), given->get_state()) << "step " << i;
    ASSERT_EQ(a.terminated, b.terminated) << "step " << i;
    if (same_reward) {
      ASSERT_EQ(a.reward, b.reward) << "step " << i;
    } else {
      // MountainCarContinuous-v0 penalises the action as given: -0.1 * action**2.
      ASSERT_LT(b.reward, a.reward) << "step " << i;
    }
    if (a.terminated) break;
  }
}

TEST(PendulumEnv, ClipsOutOfBoundTorquesToTheBounds) {
  expect_clipped_dynamics("Pendulum-v1", 2.5f, 2.0f, true);
  expect_clipped_dynamics("Pendulum-v1", -100.0f, -2.0f, true);
  expect_clipped_dynamics("Pendulum-v1", std::numeric_limits<float>::max(), 2.0f, true);
}

TEST(MountainCarContinuousEnv, ClipsTheForceButPenalisesTheActionAsGiven) {
  expect_clipped_dynamics("MountainCarContinuous-v0", 1.25f, 1.0f, false);
  expect_clipped_dynamics("MountainCarContinuous-v0", -7.0f, -1.0f, false);
}

// --- Per-environment behaviour ------------------------------------------------------------

TEST(CartPoleEnv, SuttonBartoRewardIsZeroPerStepAndMinusOneAtTheEnd) {
  std::unique_ptr<Env> env = make("CartPole-v1", {{"sutton_barto_reward", true}});
  env->reset(0);
  const Transition t = env->step(int64_t{0});
  EXPECT_FALSE(t.terminated);
  EXPECT_EQ(t.reward, 0.0);
  env->set_state(std::vector<double>{0.0, 0.0, 0.5, 0.0});  // pole beyond 12 degrees
  const Transition end = env->step(int64_t{0});
  EXPECT_TRUE(end.terminated);
  EXPECT_EQ(end.reward, -1.0);

  std::unique_ptr<Env> standard = make("CartPole-v1", {{"sutton_barto_reward", false}});
  standard->reset(0);
  EXPECT_EQ(standard->step(int64_t{0}).reward, 1.0);
  standard->set_state(std::vector<double>{0.0, 0.0, 0.5, 0.0});
  const Transition standard_end = standard->step(int64_t{0});
  EXPECT_TRUE(standard_end.terminated);
  EXPECT_EQ(standard_end.reward, 1.0);
}

TEST(CartPoleEnv, SemiImplicitIntegratorAdvancesPositionsWithTheNewVelocities) {
  CartPole euler(false, CartPole::Integrator::euler);
  CartPole semi(false, CartPole::Integrator::semi_implicit_euler);
  euler.reset(9);
  semi.reset(9);
  const std::vector<double> s0 = semi.get_state();
  euler.step(int64_t{1});
  semi.step(int64_t{1});
  const std::vector<double> e = euler.get_state();
  const std::vector<double> s = semi.get_state();
  const double tau = 0.02;
  // Both integrators compute the same accelerations, hence the same new velocities...
  EXPECT_EQ(e[1], s[1]);
  EXPECT_EQ(e[3], s[3]);
  // ...but Euler moves with the old velocities and semi-implicit Euler with the new ones.
  EXPECT_EQ(e[0], s0[0] + tau * s0[1]);
  EXPECT_EQ(e[2], s0[2] + tau * s0[3]);
  EXPECT_EQ(s[0], s0[0] + tau * s[1]);
  EXPECT_EQ(s[2], s0[2] + tau * s[3]);
}

TEST(CartPoleEnv, TerminatesWhenTheCartOrThePoleLeavesTheLimits) {
  std::unique_ptr<Env> env = make("CartPole-v1");
  // Gymnasium: |x| > 2.4 or |theta| > 12 degrees after the step.
  const std::vector<std::vector<double>> outside = {
      {2.45, 0.0, 0.0, 0.0}, {-2.45, 0.0, 0.0, 0.0}, {0.0, 0.0, 0.25, 0.0}, {0.0, 0.0, -0.25, 0.0}};
  for (const std::vector<double>& s : outside) {
    env->reset(0);
    env->set_state(s);
    EXPECT_TRUE(env->step(int64_t{0}).terminated) << s[0] << " " << s[2];
  }
}

TEST(PendulumEnv, GravityOptionChangesTheDynamicsAsGymnasiumDefinesThem) {
  std::unique_ptr<Env> standard = make("Pendulum-v1");
  std::unique_ptr<Env> explicit_default = make("Pendulum-v1", {{"g", 10.0}});
  std::unique_ptr<Env> lighter = make("Pendulum-v1", {{"g", 9.81}});
  std::unique_ptr<Env> integer_g = make("Pendulum-v1", {{"g", 10}});
  EXPECT_EQ(standard->reset(2), lighter->reset(2)) << "g must not change the reset";
  explicit_default->reset(2);
  integer_g->reset(2);
  const double th = standard->get_state()[0];
  const double thdot = standard->get_state()[1];
  const Transition a = step_box(*standard, 0.3f);
  const Transition b = step_box(*lighter, 0.3f);
  EXPECT_EQ(step_box(*explicit_default, 0.3f).observation, a.observation);
  EXPECT_EQ(step_box(*integer_g, 0.3f).observation, a.observation);
  EXPECT_EQ(a.reward, b.reward) << "the cost depends on the state before the step only";
  EXPECT_NE(a.observation[2], b.observation[2]);
  // theta_dot' = theta_dot + (3 g / 2 sin(theta) + 3 u) dt: the difference is linear in g.
  const double dthdot = standard->get_state()[1] - lighter->get_state()[1];
  EXPECT_NEAR(dthdot, 1.5 * (10.0 - 9.81) * std::sin(th) * 0.05, 1e-12);
  EXPECT_NE(thdot, standard->get_state()[1]);
  EXPECT_EQ(dynamic_cast<const Pendulum&>(lighter->unwrapped()).g(), 9.81);
}

TEST(PendulumEnv, AngularVelocityIsClippedToEight) {
  std::unique_ptr<Env> env = make("Pendulum-v1");
  env->reset(0);
  env->set_state(std::vector<double>{1.0, 7.99});
  const Transition t = step_box(*env, 2.0f);
  EXPECT_EQ(env->get_state()[1], 8.0);
  EXPECT_EQ(t.observation[2], 8.0f);
  env->set_state(std::vector<double>{-1.0, -7.99});
  step_box(*env, -2.0f);
  EXPECT_EQ(env->get_state()[1], -8.0);
}

TEST(MountainCarEnv, GoalVelocityOptionDecidesTermination) {
  // At the goal position and moving right.
  const std::vector<double> near_goal = {0.49, 0.02};
  std::unique_ptr<Env> standard = make("MountainCar-v0");
  standard->reset(0);
  standard->set_state(near_goal);
  EXPECT_TRUE(standard->step(int64_t{2}).terminated);
  std::unique_ptr<Env> demanding = make("MountainCar-v0", {{"goal_velocity", 0.05}});
  demanding->reset(0);
  demanding->set_state(near_goal);
  const Transition t = demanding->step(int64_t{2});
  EXPECT_FALSE(t.terminated);
  EXPECT_EQ(t.reward, -1.0);
}

TEST(MountainCarEnv, LeftWallStopsTheCar) {
  std::unique_ptr<Env> env = make("MountainCar-v0");
  env->reset(0);
  env->set_state(std::vector<double>{-1.19, -0.05});
  env->step(int64_t{0});
  EXPECT_EQ(env->get_state(), (std::vector<double>{-1.2, 0.0}));
}

TEST(MountainCarContinuousEnv, GoalVelocityOptionDecidesTermination) {
  const std::vector<double> near_goal = {0.44, 0.02};
  std::unique_ptr<Env> standard = make("MountainCarContinuous-v0");
  standard->reset(0);
  standard->set_state(near_goal);
  const Transition reached = step_box(*standard, 1.0f);
  EXPECT_TRUE(reached.terminated);
  EXPECT_GT(reached.reward, 99.0);  // +100 minus the action penalty
  std::unique_ptr<Env> demanding = make("MountainCarContinuous-v0", {{"goal_velocity", 0.05}});
  demanding->reset(0);
  demanding->set_state(near_goal);
  const Transition t = step_box(*demanding, 1.0f);
  EXPECT_FALSE(t.terminated);
  EXPECT_LT(t.reward, 0.0);
}

TEST(MountainCarContinuousEnv, StoresItsStateAsFloat32AfterAStep) {
  std::unique_ptr<Env> env = make("MountainCarContinuous-v0");
  env->reset(4);
  // After reset the position is a float64 draw, as in Gymnasium...
  const double p0 = env->get_state()[0];
  EXPECT_NE(p0, static_cast<double>(static_cast<float>(p0)));
  const Transition t = step_box(*env, 0.5f);
  // ...after a step the state is the float32 observation.
  const std::vector<double> s = env->get_state();
  EXPECT_EQ(s[0], static_cast<double>(t.observation[0]));
  EXPECT_EQ(s[1], static_cast<double>(t.observation[1]));
}

TEST(AcrobotEnv, ResetStateIsFloat32AndInGymnasiumsRange) {
  std::unique_ptr<Env> env = make("Acrobot-v1");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> obs = env->reset(seed);
    const std::vector<double> s = env->get_state();
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(s[i], static_cast<double>(static_cast<float>(s[i]))) << seed;
      EXPECT_LE(std::fabs(s[i]), 0.1 + 1e-7) << seed;
    }
    EXPECT_EQ(obs[4], static_cast<float>(s[2]));
    EXPECT_EQ(obs[5], static_cast<float>(s[3]));
  }
}

TEST(AcrobotEnv, AnglesStayWrappedAndVelocitiesBounded) {
  std::unique_ptr<Env> env = make("Acrobot-v1", {{"max_episode_steps", nullptr}});
  env->reset(1);
  const double pi = 3.141592653589793;
  int64_t torque = 0;
  for (int i = 0; i < 400; ++i) {
    // Pump energy: torque along the first link's velocity.
    torque = env->get_state()[2] > 0 ? 2 : 0;
    const Transition t = env->step(torque);
    const std::vector<double> s = env->get_state();
    ASSERT_LE(std::fabs(s[0]), pi);
    ASSERT_LE(std::fabs(s[1]), pi);
    ASSERT_LE(std::fabs(s[2]), 4 * pi);
    ASSERT_LE(std::fabs(s[3]), 9 * pi);
    ASSERT_EQ(t.reward, t.terminated ? 0.0 : -1.0);
    if (t.terminated) return;
  }
}

}  // namespace
}  // namespace cairn
