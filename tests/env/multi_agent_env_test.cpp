// The MultiAgentEnv protocol (actions and observations checked per agent, agents leaving
// and joining, the end of an episode), IndependentAgents, and check_multi_agent_env against
// broken environments, with small multi-agent environments defined here.
//
// Helpers carry an ma_ (or Ma) prefix: test files are compiled eight to a translation unit.
#include "cairn/env/multi_agent_env.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/env/multi_agent_env_checker.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// Three agents whose parts overlap: "a" and "b" start, "a" terminates in step 2, in which
// "c" joins; "b" is truncated in step 3; "c" terminates in step 4, which ends the episode.
//
//   "a"  observation Box(0, 10, (1,)) = steps taken; action Discrete(2); reward = its action
//   "b"  observation Box(0, 10, (2,)) = [steps taken, 0]; action Box(-1, 1, (2,)); reward 0.5
//   "c"  observation Discrete(5) = 4 when it joins, then its last action; action Discrete(3);
//        reward 1
//
// `fault` makes step 1 write a bad observation for "b": "outside" (element 1 = 11) or "nan"
// (element 0).
class MaRelayEnv : public MultiAgentEnv {
 public:
  explicit MaRelayEnv(std::string fault = "")
      : MultiAgentEnv(
            {"a", "b", "c"},
            {Space::box(0.0f, 10.0f, {1}), Space::box(0.0f, 10.0f, {2}), Space::discrete(5)},
            {Space::discrete(2), Space::box(-1.0f, 1.0f, {2}), Space::discrete(3)}),
        fault_(std::move(fault)) {}

 protected:
  void do_reset(std::optional<uint64_t>, MultiAgentStep& out) override {
    t_ = 0;
    for (size_t i : {size_t{0}, size_t{1}}) {
      set_live(i, true);
      out.has_observation[i] = 1;
    }
    out.observations[0] = {0.0f};
    out.observations[1] = {0.0f, 0.0f};
  }

  void do_step(const MultiAgentActions& actions, MultiAgentStep& out) override {
    ++t_;
    const float t = static_cast<float>(t_);
    if (is_live(0)) {
      out.observations[0] = {t};
      out.has_observation[0] = 1;
      out.rewards[0] = static_cast<double>(actions.get(0).discrete[0]);
      out.terminated[0] = t_ == 2 ? 1 : 0;
    }
    if (is_live(1)) {
      out.observations[1] = {t, 0.0f};
      if (t_ == 1 && fault_ == "outside") out.observations[1][1] = 11.0f;
      if (t_ == 1 && fault_ == "nan") out.observations[1][0] = std::nanf("");
      out.has_observation[1] = 1;
      out.rewards[1] = 0.5;
      out.truncated[1] = t_ == 3 ? 1 : 0;
    }
    if (is_live(2)) {
      out.observations[2] = {static_cast<float>(actions.get(2).discrete[0])};
      out.has_observation[2] = 1;
      out.rewards[2] = 1.0;
      out.terminated[2] = t_ == 4 ? 1 : 0;
    }
    if (t_ == 2) {  // "c" joins
      set_live(2, true);
      out.observations[2] = {4.0f};
      out.has_observation[2] = 1;
    }
  }

 private:
  std::string fault_;
  int t_ = 0;
};

// Only the constructor's checks (its episodes never start).
class MaBareEnv : public MultiAgentEnv {
 public:
  MaBareEnv(std::vector<std::string> agents, std::vector<Space> observation_spaces,
            std::vector<Space> action_spaces)
      : MultiAgentEnv(std::move(agents), std::move(observation_spaces), std::move(action_spaces)) {}

 protected:
  void do_reset(std::optional<uint64_t>, MultiAgentStep&) override {}
  void do_step(const MultiAgentActions&, MultiAgentStep&) override {}
};

// Sets a valid action for every live agent of a MaRelayEnv.
void ma_relay_actions(const MultiAgentEnv& env, MultiAgentActions& actions) {
  actions.clear();
  const float box[] = {0.25f, -0.5f};
  if (env.is_live(0)) actions.set(0, int64_t{1});
  if (env.is_live(1)) actions.set(1, std::span<const float>(box));
  if (env.is_live(2)) actions.set(2, int64_t{2});
}

// --- The protocol -----------------------------------------------------------------------------

TEST(MultiAgentEnvProtocol, StepBeforeResetIsRefused) {
  MaRelayEnv env;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  EXPECT_FALSE(env.episode_active());
  EXPECT_TRUE(env.agents().empty());
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "step() called before reset()");
}

TEST(MultiAgentEnvProtocol, MissingActionForALiveAgentIsRefusedNamingIt) {
  MaRelayEnv env;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, uint64_t{0});
  actions.set(0, int64_t{1});
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "no action for the live agent 'b'");
}

TEST(MultiAgentEnvProtocol, ActionForAnAgentThatIsNotLiveIsRefused) {
  MaRelayEnv env;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, uint64_t{0});
  ma_relay_actions(env, actions);
  actions.set(2, int64_t{0});
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "an action for agent 'c', which is not live");
}

TEST(MultiAgentEnvProtocol, InvalidActionsAreRefusedNamingTheAgent) {
  MaRelayEnv env;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, uint64_t{0});
  const float box[] = {0.25f, -0.5f};
  const float too_short[] = {0.25f};
  const float outside[] = {0.25f, 2.0f};
  const float nan[] = {std::nanf(""), 0.0f};
  const float one_float[] = {1.0f};
  const int64_t two_ints[] = {0, 1};
  auto refused = [&](auto set_bad, const std::vector<std::string>& parts) {
    ma_relay_actions(env, actions);
    set_bad();
    testing::expect_error_containing_all([&] { env.step(actions, out); }, parts);
  };
  refused([&] { actions.set(0, int64_t{2}); }, {"agent 'a'", "element 0 = 2 is outside [0, 1]"});
  refused([&] { actions.set(0, int64_t{-1}); }, {"agent 'a'", "outside"});
  refused([&] { actions.set(0, std::span<const float>(one_float)); },
          {"agent 'a'", "a float action was given"});
  refused([&] { actions.set(0, std::span<const int64_t>(two_ints)); },
          {"agent 'a'", "value has 2 elements"});
  refused([&] { actions.set(1, int64_t{1}); }, {"agent 'b'", "an integer action was given"});
  refused([&] { actions.set(1, std::span<const float>(too_short)); },
          {"agent 'b'", "it has 1 elements"});
  refused([&] { actions.set(1, std::span<const float>(outside)); },
          {"agent 'b'", "element 1 = 2 is outside"});
  refused([&] { actions.set(1, std::span<const float>(nan)); },
          {"agent 'b'", "element 0 is not finite"});
  // The refused steps left the episode untouched: the next valid step is the first.
  ma_relay_actions(env, actions);
  actions.set(1, std::span<const float>(box));
  env.step(actions, out);
  EXPECT_EQ(out.observations[0], std::vector<float>{1.0f});
}

TEST(MultiAgentEnvProtocol, ObservationOutsideItsSpaceIsRefusedNamingAgentAndElement) {
  for (const std::string fault : {"outside", "nan"}) {
    SCOPED_TRACE(fault);
    MaRelayEnv env(fault);
    MultiAgentStep out = env.make_step_buffers();
    MultiAgentActions actions = env.make_actions();
    env.reset(out, uint64_t{0});
    ma_relay_actions(env, actions);
    if (fault == "outside") {
      testing::expect_error_containing_all(
          [&] { env.step(actions, out); },
          {"MultiAgentEnv.step", "agent 'b'", "outside its space", "element 1 = 11"});
    } else {
      testing::expect_error_containing_all([&] { env.step(actions, out); },
                                           {"agent 'b'", "element 0 is nan"});
    }
  }
}

TEST(MultiAgentEnvProtocol, AgentsLeaveWhenTheyEndAndJoinWithAFirstObservation) {
  MaRelayEnv env;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, uint64_t{0});
  EXPECT_EQ(std::vector<size_t>(env.agents().begin(), env.agents().end()),
            (std::vector<size_t>{0, 1}));
  EXPECT_EQ(out.has_observation, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(out.acted, (std::vector<uint8_t>{0, 0, 0}));

  ma_relay_actions(env, actions);
  env.step(actions, out);  // step 1: a and b act, nobody ends
  EXPECT_EQ(out.acted, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(out.rewards, (std::vector<double>{1.0, 0.5, 0.0}));
  EXPECT_TRUE(env.is_live(0) && env.is_live(1) && !env.is_live(2));

  ma_relay_actions(env, actions);
  env.step(actions, out);  // step 2: a terminates, c joins
  EXPECT_EQ(out.acted, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(out.terminated, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(out.truncated, (std::vector<uint8_t>{0, 0, 0}));
  // The ended agent's final observation is reported, and it has left.
  EXPECT_EQ(out.has_observation[0], 1);
  EXPECT_EQ(out.observations[0], std::vector<float>{2.0f});
  EXPECT_FALSE(env.is_live(0));
  // The joining agent has a first observation and no reward.
  EXPECT_TRUE(env.is_live(2));
  EXPECT_EQ(out.has_observation[2], 1);
  EXPECT_EQ(out.observations[2], std::vector<float>{4.0f});
  EXPECT_EQ(out.rewards[2], 0.0);
  EXPECT_EQ(std::vector<size_t>(env.agents().begin(), env.agents().end()),
            (std::vector<size_t>{1, 2}));

  // "a" has left: an action for it is refused, as a missing one for "c" is.
  ma_relay_actions(env, actions);
  actions.set(0, int64_t{0});
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "an action for agent 'a', which is not live");
  actions.clear();
  const float box[] = {0.0f, 0.0f};
  actions.set(1, std::span<const float>(box));
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "no action for the live agent 'c'");

  ma_relay_actions(env, actions);
  env.step(actions, out);  // step 3: b is truncated
  EXPECT_EQ(out.acted, (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(out.truncated, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(out.terminated, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(out.has_observation, (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(out.observations[1], (std::vector<float>{3.0f, 0.0f}));
  EXPECT_EQ(out.observations[2], std::vector<float>{2.0f});
  EXPECT_EQ(out.rewards, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(std::vector<size_t>(env.agents().begin(), env.agents().end()), std::vector<size_t>{2});
  EXPECT_TRUE(env.episode_active());

  ma_relay_actions(env, actions);
  env.step(actions, out);  // step 4: c terminates; no agent is live
  EXPECT_EQ(out.acted, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(out.terminated, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(out.has_observation, (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_TRUE(env.agents().empty());
  EXPECT_FALSE(env.episode_active());
  actions.clear();
  EXPECT_ERROR_CONTAINS(env.step(actions, out), "the episode is over (no agent is live)");

  // A new episode starts over.
  env.reset(out);
  EXPECT_EQ(out.has_observation, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(out.observations[0], std::vector<float>{0.0f});
}

TEST(MultiAgentEnvProtocol, AgentIndexOfAnUnknownIdNamesItAndListsTheAgents) {
  MaRelayEnv env;
  EXPECT_EQ(env.agent_index("a"), 0u);
  EXPECT_EQ(env.agent_index("c"), 2u);
  testing::expect_error_containing_all([&] { env.agent_index("d"); },
                                       {"no agent 'd'", "the agents are a, b, c"});
}

TEST(MultiAgentEnvProtocol, ConstructionAndBuffersAreChecked) {
  MaRelayEnv relay;
  MultiAgentStep not_sized;
  EXPECT_ERROR_CONTAINS(relay.reset(not_sized), "make_step_buffers()");
  const std::vector<Space> two = {Space::discrete(2), Space::discrete(2)};
  EXPECT_ERROR_CONTAINS(MaBareEnv({}, {}, {}), "at least one agent");
  EXPECT_ERROR_CONTAINS(MaBareEnv({"a", ""}, two, two), "an agent id is empty");
  EXPECT_ERROR_CONTAINS(MaBareEnv({"a", "a"}, two, two), "agent id 'a' is repeated");
  EXPECT_ERROR_CONTAINS(MaBareEnv({"a", "b"}, {Space::discrete(2)}, two),
                        "2 agents need as many observation and action spaces, got 1 and 2");
  EXPECT_ERROR_CONTAINS(IndependentAgents(std::vector<std::unique_ptr<Env>>{}),
                        "at least one agent");
  std::vector<std::unique_ptr<Env>> with_null;
  with_null.push_back(make("CartPole-v1"));
  with_null.push_back(nullptr);
  EXPECT_ERROR_CONTAINS(IndependentAgents(std::move(with_null)), "environment 1 is null");
}

// --- IndependentAgents --------------------------------------------------------------------

TEST(MultiAgentIndependentAgents, NamesAgentsWithThePrefixAndTakesTheirSpaces) {
  std::vector<std::unique_ptr<Env>> envs;
  envs.push_back(make("CartPole-v1"));
  envs.push_back(make("Pendulum-v1"));
  IndependentAgents env(std::move(envs), "car_");
  EXPECT_EQ(env.possible_agents(), (std::vector<std::string>{"car_0", "car_1"}));
  EXPECT_EQ(env.observation_space(1), make("Pendulum-v1")->observation_space());
  EXPECT_EQ(env.action_space(0), Space::discrete(2));
  EXPECT_EQ(env.agent_index("car_1"), 1u);
  EXPECT_NO_THROW(check_multi_agent_env(env, 3, 300));
}

TEST(MultiAgentIndependentAgents, AnAgentWhoseEnvironmentClipsActionsAcceptsWhatItDoes) {
  std::vector<std::unique_ptr<Env>> envs;
  envs.push_back(make("Pendulum-v1"));  // clips torques to [-2, 2] itself, as Gymnasium does
  envs.push_back(make("MountainCarContinuous-v0"));
  envs.push_back(make("CartPole-v1"));
  IndependentAgents env(std::move(envs));
  EXPECT_TRUE(env.clips_box_actions(0));
  EXPECT_FALSE(env.clips_box_actions(2));
  MultiAgentStep out = env.make_step_buffers();
  env.reset(out, 5);
  MultiAgentActions actions = env.make_actions();
  const float big[1] = {7.5f};
  actions.set(0, std::span<const float>(big));
  actions.set(1, std::span<const float>(big));
  actions.set(2, int64_t{1});
  env.step(actions, out);
  // The same step as Pendulum alone with the action it clips to.
  std::unique_ptr<Env> alone = make("Pendulum-v1");
  std::vector<float> obs(3);
  alone->reset(std::span<float>(obs), 5);
  const float clipped[1] = {2.0f};
  const StepResult r = alone->step(ActionRef{{}, std::span<const float>(clipped)}, obs);
  EXPECT_EQ(out.rewards[0], r.reward);
  EXPECT_EQ(out.observations[0], obs);
  // A NaN is refused even where the environment clips.
  std::vector<std::unique_ptr<Env>> boxes;
  boxes.push_back(make("Pendulum-v1"));
  IndependentAgents clipping(std::move(boxes));
  MultiAgentStep clipping_out = clipping.make_step_buffers();
  clipping.reset(clipping_out, 1);
  MultiAgentActions nan_action = clipping.make_actions();
  const float nan[1] = {std::numeric_limits<float>::quiet_NaN()};
  nan_action.set(0, std::span<const float>(nan));
  EXPECT_ERROR_CONTAINS(clipping.step(nan_action, clipping_out), "agent 'agent_0'");
}

// --- check_multi_agent_env ------------------------------------------------------------------

// Agents "p" (observation Box(-inf, inf, (1,)), drawn from np_random()), "q" (Box(0, 1, (1,)))
// and "r" (Box(0, 1, (1,)), joins in step 1); actions Discrete(2); reward 1; every agent
// terminates in step 3. `fault` breaks one rule:
//   "unseeded_reset"    p's first observation ignores the seed (a counter)
//   "unseeded_step"     p's reward in step 1 changes from episode to episode
//   "entropy_reset"     reset() without a seed restarts the generator from fresh entropy
//   "nan_observation"   q's observation in step 2 is NaN
//   "inf_observation"   p's observation in step 2 is infinite (inside its unbounded space)
//   "nan_reward"        p's reward in step 1 is NaN
//   "leaves"            q leaves in step 1 without terminating or being truncated
//   "joins_with_reward" r gets a reward in the step it joins
class MaFaultyEnv : public MultiAgentEnv {
 public:
  explicit MaFaultyEnv(std::string fault = "")
      : MultiAgentEnv({"p", "q", "r"},
                      {Space::box(-std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::infinity(), {1}),
                       Space::box(0.0f, 1.0f, {1}), Space::box(0.0f, 1.0f, {1})},
                      {Space::discrete(2), Space::discrete(2), Space::discrete(2)}),
        fault_(std::move(fault)) {}

 protected:
  void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) override {
    ++episodes_;
    if (!seed && fault_ == "entropy_reset") np_random() = Rng(static_cast<uint64_t>(episodes_));
    t_ = 0;
    out.observations[0][0] = fault_ == "unseeded_reset" ? static_cast<float>(episodes_)
                                                        : static_cast<float>(np_random().uniform());
    out.observations[1][0] = 0.5f;
    for (size_t i : {size_t{0}, size_t{1}}) {
      out.has_observation[i] = 1;
      set_live(i, true);
    }
  }

  void do_step(const MultiAgentActions&, MultiAgentStep& out) override {
    ++t_;
    for (const size_t i : agents()) {
      out.observations[i][0] = i == 0 ? static_cast<float>(np_random().uniform()) : 0.25f;
      out.has_observation[i] = 1;
      out.rewards[i] = 1.0;
      out.terminated[i] = t_ == 3 ? 1 : 0;
    }
    if (t_ == 1) {
      set_live(2, true);
      out.observations[2][0] = 0.5f;
      out.has_observation[2] = 1;
      if (fault_ == "joins_with_reward") out.rewards[2] = 1.0;
      if (fault_ == "unseeded_step") out.rewards[0] = static_cast<double>(episodes_);
      if (fault_ == "nan_reward") out.rewards[0] = std::nan("");
      if (fault_ == "leaves") set_live(1, false);
    }
    if (t_ == 2 && fault_ == "nan_observation") out.observations[1][0] = std::nanf("");
    if (t_ == 2 && fault_ == "inf_observation") {
      out.observations[0][0] = std::numeric_limits<float>::infinity();
    }
  }

 private:
  std::string fault_;
  int t_ = 0;
  int episodes_ = 0;
};

TEST(MultiAgentEnvChecker, PassesEnvironmentsWithAgentsLeavingAndJoining) {
  MaRelayEnv relay;
  EXPECT_NO_THROW(check_multi_agent_env(relay));
  MaFaultyEnv sound;
  EXPECT_NO_THROW(check_multi_agent_env(sound, 5));
  EXPECT_NO_THROW(check_multi_agent_env(sound, 6, 2));  // episodes longer than max_steps
}

TEST(MultiAgentEnvChecker, FailsBrokenEnvironmentsNamingTheProblem) {
  struct Case {
    std::string fault;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"unseeded_reset",
       {"check_multi_agent_env: MultiAgentEnv:", "reset(seed=0) twice with the same actions",
        "at the reset", "agent 'p' differs in its observation"}},
      {"unseeded_step",
       {"reset(seed=0) twice with the same actions", "at step 0",
        "agent 'p' differs in its reward"}},
      {"entropy_reset",
       {"reset() without a seed after reset(seed=1)", "agent 'p' differs in its observation"}},
      {"nan_observation",
       {"step 1 after reset(seed=0) failed", "agent 'q' observation element 0 is nan"}},
      {"inf_observation",
       {"step 1 after reset(seed=0): the observation of agent 'p' is not a finite value",
        "element 0 is not finite"}},
      {"nan_reward", {"step 0 after reset(seed=0)", "agent 'p' got a non-finite reward"}},
      {"leaves", {"step 0", "agent 'q' left without terminating or being truncated"}},
      {"joins_with_reward", {"step 0", "agent 'r' did not act but was given a reward"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fault);
    MaFaultyEnv env(c.fault);
    testing::expect_error_containing_all([&] { check_multi_agent_env(env); }, c.parts);
  }
}

TEST(MultiAgentEnvChecker, NamesTheEnvironment) {
  MaFaultyEnv env("nan_reward");
  env.set_name("Faulty-v3");
  EXPECT_ERROR_CONTAINS(check_multi_agent_env(env), "check_multi_agent_env: Faulty-v3: ");
}

}  // namespace
}  // namespace cairn
