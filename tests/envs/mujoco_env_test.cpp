// cairn's MuJoCo environments: the base (MujocoEnv, UserMujocoEnv) and InvertedPendulum-v5,
// checked against Gymnasium's v5 definition (gymnasium/envs/mujoco/inverted_pendulum_v5.py)
// with values computed by hand from the MuJoCo state, and the reset states for seeds 0-9
// against Gymnasium's formula evaluated with NumPy's generator (/usr/bin/python3 with
// python3-numpy, which scripts/setup.sh installs; a missing NumPy fails the test).
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
#include "cairn/env/mujoco/inverted_pendulum.h"
#include "cairn/env/mujoco/mujoco_env.h"
#include "cairn/env/vector_env.h"
#include "error_matchers.h"
#include "support/python_program.h"

namespace cairn {
namespace {

InvertedPendulum& unwrapped_pendulum(Env& env) {
  return dynamic_cast<InvertedPendulum&>(env.unwrapped());
}

TEST(InvertedPendulumV5, IsRegisteredWithGymnasiumsLimitsAndPassesTheChecker) {
  const EnvSpec spec = env_spec("InvertedPendulum-v5");
  EXPECT_EQ(spec.max_episode_steps, 1000);
  EXPECT_EQ(spec.reward_threshold, 950.0);
  std::unique_ptr<Env> env = make("InvertedPendulum-v5");
  check_env(*env);
  EXPECT_EQ(env->observation_space().size(), 4u);
  EXPECT_EQ(env->action_space().size(), 1u);
  EXPECT_EQ(env->action_space().low()[0], -3.0f);
  EXPECT_EQ(env->action_space().high()[0], 3.0f);
  InvertedPendulum& p = unwrapped_pendulum(*env);
  EXPECT_EQ(p.frame_skip(), 2);
  EXPECT_DOUBLE_EQ(p.dt(), 0.04);
}

TEST(InvertedPendulumV5, ObservationIsQposThenQvelAndRewardIsOneUntilTermination) {
  std::unique_ptr<Env> env = make("InvertedPendulum-v5");
  std::vector<float> obs = env->reset(uint64_t{3});
  InvertedPendulum& p = unwrapped_pendulum(*env);
  const mjData& d = p.data();
  const mjModel& m = p.model();
  for (int step = 0; step < 1000; ++step) {
    const double qpos_before = d.qpos[0];
    const double time_before = d.time;
    const std::vector<float> action = {1.5f};  // pushes the cart: the pole falls
    const Transition t = env->step(std::span<const float>(action));
    // Two mj_step calls of the model's timestep.
    EXPECT_DOUBLE_EQ(d.time - time_before, 2 * m.opt.timestep);
    EXPECT_NE(d.qpos[0], qpos_before);
    const float want[4] = {static_cast<float>(d.qpos[0]), static_cast<float>(d.qpos[1]),
                           static_cast<float>(d.qvel[0]), static_cast<float>(d.qvel[1])};
    for (int i = 0; i < 4; ++i) EXPECT_EQ(t.observation[i], want[i]) << "step " << step;
    EXPECT_EQ(d.ctrl[0], 1.5);
    const bool fallen = std::fabs(d.qpos[1]) > 0.2;
    EXPECT_EQ(t.terminated, fallen) << "step " << step;
    EXPECT_EQ(t.reward, fallen ? 0.0 : 1.0);
    EXPECT_EQ(p.info().at("reward_survive"), t.reward);
    EXPECT_FALSE(t.truncated);
    if (t.terminated) {
      EXPECT_GT(step, 0);  // not at once
      return;
    }
  }
  ADD_FAILURE() << "the pole never fell under a constant push";
}

TEST(InvertedPendulumV5, TruncatesAtTheTimeLimit) {
  std::unique_ptr<Env> env = make("InvertedPendulum-v5", {{"max_episode_steps", 3}});
  env->reset(uint64_t{0});
  const std::vector<float> zero = {0.0f};
  EXPECT_FALSE(env->step(std::span<const float>(zero)).truncated);
  EXPECT_FALSE(env->step(std::span<const float>(zero)).truncated);
  const Transition t = env->step(std::span<const float>(zero));
  EXPECT_TRUE(t.truncated);
  EXPECT_FALSE(t.terminated);
}

TEST(InvertedPendulumV5, ResetStatesEqualGymnasiumsFormulaWithNumPy) {
  // Gymnasium: qpos = init_qpos + np_random.uniform(size=nq, low=-s, high=s), then qvel the
  // same with size nv; init_qpos and init_qvel are zero for this model.
  const std::string out = testing_python::run_python_program(
      "import numpy as np\n"
      "for seed in range(10):\n"
      "  r = np.random.default_rng(seed)\n"
      "  qpos = np.zeros(2) + r.uniform(size=2, low=-0.01, high=0.01)\n"
      "  qvel = np.zeros(2) + r.uniform(size=2, low=-0.01, high=0.01)\n"
      "  print(\" \".join(float(v).hex() for v in np.concatenate([qpos, qvel])))\n");
  std::unique_ptr<Env> env = make("InvertedPendulum-v5");
  const InvertedPendulum& p = unwrapped_pendulum(*env);
  EXPECT_EQ(p.init_qpos().size() + p.init_qvel().size(), 4u);
  std::istringstream lines(out);
  int seeds = 0;
  for (std::string line; std::getline(lines, line); ++seeds) {
    const std::vector<float> obs = env->reset(static_cast<uint64_t>(seeds));
    const std::vector<double> state = {p.data().qpos[0], p.data().qpos[1], p.data().qvel[0],
                                       p.data().qvel[1]};  // Gymnasium's state_vector()
    std::istringstream words(line);
    for (size_t i = 0; i < 4; ++i) {
      std::string word;
      ASSERT_TRUE(words >> word) << "NumPy printed: " << out;
      const double want = std::strtod(word.c_str(), nullptr);
      EXPECT_EQ(state[i], want) << "seed " << seeds << " element " << i;
      EXPECT_EQ(obs[i], static_cast<float>(want)) << "seed " << seeds << " element " << i;
    }
  }
  EXPECT_EQ(seeds, 10) << "NumPy printed: " << out;
}

TEST(InvertedPendulumV5, OptionsHaveGymnasiumsNames) {
  std::unique_ptr<Env> env =
      make("InvertedPendulum-v5", {{"frame_skip", 5}, {"reset_noise_scale", 0.0}});
  const std::vector<float> obs = env->reset(uint64_t{1});
  for (float v : obs) EXPECT_EQ(v, 0.0f);  // no noise
  EXPECT_EQ(unwrapped_pendulum(*env).frame_skip(), 5);
  // Gymnasium's model file (see mujoco_model_test.cpp for CAIRN_GYMNASIUM_MUJOCO_REFERENCE).
  const char* folder = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE");
  const std::string gymnasium_model =
      std::string(folder && *folder ? folder : CAIRN_SHARED_DIR "/reference/gymnasium-mujoco") +
      "/inverted_pendulum.xml";
  const std::unique_ptr<Env> from_file =
      make("InvertedPendulum-v5", {{"xml_file", gymnasium_model}});
  EXPECT_EQ(from_file->observation_space().size(), 4u);
  EXPECT_ERROR_CONTAINS(make("InvertedPendulum-v5", {{"frame_skip", 0}}), "frame_skip");
  InvertedPendulum::Options not_finite;
  not_finite.reset_noise_scale = std::nan("");
  EXPECT_ERROR_CONTAINS(InvertedPendulum{not_finite},
                        "InvertedPendulum: option 'reset_noise_scale' must be finite, got nan");
  EXPECT_ERROR_CONTAINS(make("InvertedPendulum-v5", {{"ctrl_cost_weight", 1.0}}),
                        "unknown option(s) for 'InvertedPendulum-v5': 'ctrl_cost_weight'");
}

TEST(MujocoEnvState, SetStateRoundTripsAndStepsReproduce) {
  std::unique_ptr<Env> a = make("InvertedPendulum-v5");
  std::unique_ptr<Env> b = make("InvertedPendulum-v5");
  a->reset(uint64_t{5});
  b->reset(uint64_t{6});
  b->unwrapped().set_state(a->get_state());
  EXPECT_EQ(a->get_state(), b->get_state());
  const std::vector<float> action = {-0.5f};
  for (int i = 0; i < 5; ++i) {
    const Transition ta = a->step(std::span<const float>(action));
    const Transition tb = b->step(std::span<const float>(action));
    EXPECT_EQ(ta.observation, tb.observation);
  }
  EXPECT_ERROR_CONTAINS(a->unwrapped().set_state(std::vector<double>(3, 0.0)),
                        "or 4 (qpos and qvel), got 3");
  std::vector<double> bad_kind = a->get_state();
  bad_kind[0] = 3.0;
  EXPECT_ERROR_CONTAINS(a->unwrapped().set_state(bad_kind), "must be 0, 1 or 2, got 3");
}

// The complete state's size is its documented layout, and Gymnasium's qpos + qvel is accepted
// as a state too (set, then mj_forward, as Gymnasium's set_state).
TEST(MujocoEnvState, LayoutIsTheLastCallAndItsInputAndQposQvelIsAccepted) {
  std::unique_ptr<Env> env = make("HalfCheetah-v5");
  env->reset(uint64_t{2});
  const MujocoEnv& mj = dynamic_cast<const MujocoEnv&>(env->unwrapped());
  const mjModel& m = mj.model();
  const size_t expected =
      1 + m.nq + m.nv + m.na + m.nv + 1 + m.nu + m.nv + 6 * m.nbody + 7 * m.nmocap + m.nuserdata;
  EXPECT_EQ(mj.simulation_state_size(), expected);
  EXPECT_EQ(env->get_state().size(), expected);
  EXPECT_EQ(env->get_state()[0], 1.0);  // the reset's set_qpos_qvel ran mj_forward
  const std::vector<float> action(6, 0.25f);
  env->step(std::span<const float>(action));
  const std::vector<double> state = env->get_state();
  EXPECT_EQ(state[0], 2.0);  // a step: mj_step, whose input holds the action as ctrl
  const size_t ctrl_at = 1 + m.nq + m.nv + m.na + m.nv + 1;
  for (int i = 0; i < m.nu; ++i) EXPECT_EQ(state[ctrl_at + i], 0.25);

  std::unique_ptr<Env> other = make("HalfCheetah-v5");
  other->reset(uint64_t{9});
  std::vector<double> qpos_qvel(mj.data().qpos, mj.data().qpos + m.nq);
  qpos_qvel.insert(qpos_qvel.end(), mj.data().qvel, mj.data().qvel + m.nv);
  other->unwrapped().set_state(qpos_qvel);
  const MujocoEnv& o = dynamic_cast<const MujocoEnv&>(other->unwrapped());
  for (int i = 0; i < m.nq; ++i) EXPECT_EQ(o.data().qpos[i], mj.data().qpos[i]);
  for (int i = 0; i < m.nv; ++i) EXPECT_EQ(o.data().qvel[i], mj.data().qvel[i]);
}

// Right after a reset and mid-episode, in an environment that has run elsewhere, the restored
// state continues bit for
// bit, including what MuJoCo derived in the last step (contact forces, positions). For every
// registered MuJoCo environment.
TEST(MujocoEnvState, RestoredMidEpisodeEveryMujocoEnvContinuesBitForBit) {
  int checked = 0;
  for (const std::string& id : registered_env_ids()) {
    std::unique_ptr<Env> a = make(id);
    if (dynamic_cast<const MujocoEnv*>(&a->unwrapped()) == nullptr) continue;
    ++checked;
    std::unique_ptr<Env> b = make(id);
    Rng actions(uint64_t{11});
    std::vector<float> act(a->action_space().size());
    auto next_action = [&] {
      a->action_space().sample(actions, std::span<float>(act));
      for (float& v : act) v *= 0.2f;  // gentle: the balancing tasks stay up for a while
      return std::span<const float>(act);
    };
    // Right after a reset (the last physics call mj_forward), then mid-episode (mj_step).
    for (const int lead : {0, 7}) {
      a->reset(uint64_t{1});
      b->reset(uint64_t{2});
      for (int i = 0; i < 7 && b->episode_active(); ++i) b->step(next_action());
      for (int i = 0; i < lead && a->episode_active(); ++i) a->step(next_action());
      ASSERT_TRUE(a->episode_active()) << id;
      b->unwrapped().set_state(a->get_state());
      b->resume_episode();
      const MujocoEnv& ma = dynamic_cast<const MujocoEnv&>(a->unwrapped());
      const MujocoEnv& mb = dynamic_cast<const MujocoEnv&>(b->unwrapped());
      const mjModel& m = ma.model();
      for (int i = 0; i < 3 * m.nbody; ++i) ASSERT_EQ(ma.data().xpos[i], mb.data().xpos[i]) << id;
      for (int i = 0; i < 6 * m.nbody; ++i)
        ASSERT_EQ(ma.data().cfrc_ext[i], mb.data().cfrc_ext[i]) << id;
      for (int step = 0; step < 20 && a->episode_active(); ++step) {
        const std::span<const float> action = next_action();
        const Transition ta = a->step(action);
        const Transition tb = b->step(action);
        ASSERT_EQ(ta.observation, tb.observation) << id << " step " << step;
        ASSERT_EQ(ta.reward, tb.reward) << id << " step " << step;
        ASSERT_EQ(ta.terminated, tb.terminated) << id << " step " << step;
      }
    }
  }
  EXPECT_GE(checked, 2);
}

// Vector environments step MuJoCo environments on several threads with unchanged results
// (every environment owns its mjModel and mjData; MuJoCo keeps no global simulation state).
TEST(MujocoVectorEnv, ThreadCountDoesNotChangeResults) {
  auto run = [](size_t threads) {
    VectorEnv venv("HalfCheetah-v5", 5, nlohmann::json::object(), threads);
    venv.reset(3);
    Rng rng(4);
    std::vector<float> actions(5 * 6);
    std::vector<float> trace;
    for (int t = 0; t < 60; ++t) {
      venv.single_action_space().sample(rng, std::span<float>(actions).first(6));
      for (size_t i = 6; i < actions.size(); ++i)  // each environment its own action
        actions[i] = actions[i % 6] * (1.0f - 0.2f * static_cast<float>(i / 6));
      venv.step(std::span<const float>(actions));
      trace.insert(trace.end(), venv.observations().begin(), venv.observations().end());
      for (double r : venv.rewards()) trace.push_back(static_cast<float>(r));
    }
    return trace;
  };
  const std::vector<float> one = run(1);
  EXPECT_EQ(run(2), one);
  EXPECT_EQ(run(4), one);
}

// The user-model shape: an MJCF model and a few functions make an environment.
TEST(UserMujocoEnv, BuildsAnEnvironmentFromAModelAndFunctions) {
  MujocoTask task;
  task.model = load_mjcf_text(builtin_mjcf("inverted_pendulum.xml"), "pendulum.xml");
  task.frame_skip = 3;
  task.observation_size = 1;
  task.observation = [](const MujocoEnv& e, std::span<float> obs) {
    obs[0] = static_cast<float>(e.data().qpos[1]);
  };
  task.reward = [](const MujocoEnv& e, std::span<const float>) {
    return (e.data().qpos[0] - e.qpos_before()[0]) / e.dt();  // cart velocity
  };
  task.terminated = [](const MujocoEnv& e) { return std::fabs(e.data().qpos[1]) > 0.5; };
  UserMujocoEnv env(std::move(task));
  check_env(env);
  env.reset(uint64_t{0});
  const double x0 = env.data().qpos[0];
  const std::vector<float> action = {2.0f};
  const Transition t = env.step(std::span<const float>(action));
  EXPECT_DOUBLE_EQ(t.reward, (env.data().qpos[0] - x0) / (3 * 0.02));
  EXPECT_EQ(t.observation[0], static_cast<float>(env.data().qpos[1]));

  MujocoTask incomplete;
  incomplete.model = load_mjcf_text(builtin_mjcf("inverted_pendulum.xml"), "pendulum.xml");
  incomplete.observation_size = 1;
  EXPECT_ERROR_CONTAINS(UserMujocoEnv(std::move(incomplete)), "no observation function");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
#include "cairn/env/env_registry.h"
#include "error_matchers.h"

TEST(InvertedPendulumV5, MujocoIsInstalled) {
  // The run-time error names what is missing and how to install it.
  EXPECT_ERROR_CONTAINS(cairn::make("InvertedPendulum-v5"), "libmujoco-dev");
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
