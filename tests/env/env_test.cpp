// The Env protocol, TimeLimit, the registry and the checker, exercised with
// small environments defined here and with the SimpleCorridor example.
#include "cairn/env/env.h"

#include <gtest/gtest.h>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/time_limit.h"
#include "error_matchers.h"
#include "simple_corridor.h"

namespace cairn {
namespace {

// Box-action environment: observation = last action, reward = its sum; ends after 3 steps.
class EchoEnv : public Env {
 public:
  explicit EchoEnv(bool clips = false)
      : Env(Space::box(-1.0f, 1.0f, {2}), Space::box(-1.0f, 1.0f, {2})), clips_(clips) {}
  bool clips_box_actions() const override { return clips_; }

 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override {
    obs[0] = obs[1] = 0.0f;
    t_ = 0;
  }
  StepResult do_step(ActionRef a, std::span<float> obs) override {
    obs[0] = std::clamp(a.continuous[0], -1.0f, 1.0f);
    obs[1] = std::clamp(a.continuous[1], -1.0f, 1.0f);
    return {static_cast<double>(obs[0] + obs[1]), ++t_ >= 3, false};
  }

 private:
  bool clips_;
  int t_ = 0;
};

TEST(EnvProtocol, StepBeforeResetIsRefused) {
  corridor::SimpleCorridor env;
  EXPECT_ERROR_CONTAINS(env.step(int64_t{1}), "step() called before reset()");
}

TEST(EnvProtocol, StepAfterTerminationIsRefusedUntilReset) {
  corridor::SimpleCorridor env(1);
  env.reset(uint64_t{0});
  const Transition t = env.step(int64_t{1});
  EXPECT_TRUE(t.terminated);
  EXPECT_FALSE(env.episode_active());
  EXPECT_ERROR_CONTAINS(env.step(int64_t{1}), "call reset() before step()");
  env.reset();
  EXPECT_NO_THROW(env.step(int64_t{1}));
}

TEST(EnvProtocol, InvalidActionsAreRefusedWithTheReason) {
  corridor::SimpleCorridor env;
  env.reset(uint64_t{0});
  EXPECT_ERROR_CONTAINS(env.step(int64_t{2}), "element 0 = 2 is outside [0, 1]");
  EXPECT_ERROR_CONTAINS(env.step(int64_t{-1}), "outside");
  const int64_t two[] = {0, 1};
  EXPECT_ERROR_CONTAINS(env.step(std::span<const int64_t>(two)), "value has 2 elements");
  const float f[] = {1.0f};
  EXPECT_ERROR_CONTAINS(env.step(std::span<const float>(f)), "a float action was given");
  // The refused actions left the episode untouched.
  EXPECT_EQ(env.get_state(), std::vector<double>{0.0});
}

TEST(EnvProtocol, BoxActionsAreCheckedForLengthFinitenessAndBounds) {
  EchoEnv strict;
  strict.reset(uint64_t{0});
  const float too_short[] = {0.5f};
  const float nan[] = {NAN, 0.0f};
  const float outside[] = {2.0f, 0.0f};
  EXPECT_ERROR_CONTAINS(strict.step(std::span<const float>(too_short)), "it has 1 elements");
  EXPECT_ERROR_CONTAINS(strict.step(std::span<const float>(nan)), "element 0 is not finite");
  EXPECT_ERROR_CONTAINS(strict.step(std::span<const float>(outside)), "element 0 = 2 is outside");
  EXPECT_ERROR_CONTAINS(strict.step(int64_t{1}), "an integer action was given");

  EchoEnv clipping(/*clips=*/true);
  clipping.reset(uint64_t{0});
  const Transition t = clipping.step(std::span<const float>(outside));
  EXPECT_EQ(t.observation, (std::vector<float>{1.0f, 0.0f}));
  EXPECT_ERROR_CONTAINS(clipping.step(std::span<const float>(nan)), "not finite");
}

TEST(EnvProtocol, ObservationBufferLengthIsChecked) {
  corridor::SimpleCorridor env;
  std::vector<float> obs(3);
  EXPECT_ERROR_CONTAINS(env.reset(std::span<float>(obs)), "observation buffer has 3 elements");
}

TEST(EnvProtocol, SeededResetReseedsTheGenerator) {
  corridor::SimpleCorridor env;
  env.reset(uint64_t{5});
  const uint64_t a = env.np_random().next_u64();
  env.reset(uint64_t{5});
  EXPECT_EQ(env.np_random().next_u64(), a);
  EXPECT_EQ(Rng(5).next_u64(), a);
}

TEST(EnvProtocol, SetStateValidates) {
  corridor::SimpleCorridor env;
  const double two[] = {1.0, 2.0};
  const double nan[] = {NAN};
  EXPECT_ERROR_CONTAINS(env.set_state(two), "state has 2 elements");
  EXPECT_ERROR_CONTAINS(env.set_state(nan), "not finite");
  EchoEnv echo;
  EXPECT_FALSE(echo.has_state());
  EXPECT_ERROR_CONTAINS(echo.get_state(), "does not expose its state");
}

TEST(TimeLimit, TruncatesAtTheLimitAndRestartsOnReset) {
  TimeLimit env(std::make_unique<corridor::SimpleCorridor>(10), 3);
  for (int episode = 0; episode < 2; ++episode) {
    env.reset(uint64_t{0});
    EXPECT_FALSE(env.step(int64_t{0}).truncated);
    EXPECT_FALSE(env.step(int64_t{0}).truncated);
    const Transition t = env.step(int64_t{0});
    EXPECT_TRUE(t.truncated);
    EXPECT_FALSE(t.terminated);
    EXPECT_ERROR_CONTAINS(env.step(int64_t{0}), "call reset() before step()");
  }
  EXPECT_ERROR_CONTAINS(TimeLimit(std::make_unique<corridor::SimpleCorridor>(), 0),
                        "max_episode_steps is 0");
  EXPECT_ERROR_CONTAINS(TimeLimit(nullptr, 5), "null");
}

TEST(TimeLimit, ForwardsStateAndUnwrapped) {
  TimeLimit env(std::make_unique<corridor::SimpleCorridor>(), 10);
  env.reset(uint64_t{0});
  env.step(int64_t{1});
  EXPECT_EQ(env.get_state(), std::vector<double>{1.0});
  EXPECT_NE(dynamic_cast<corridor::SimpleCorridor*>(&env.unwrapped()), nullptr);
}

TEST(Registry, UnknownIdListsTheRegisteredIds) {
  corridor::register_simple_corridor();
  const std::string msg = testing::error_of([] { make("CartPol-v1"); });
  EXPECT_NE(msg.find("unknown environment id 'CartPol-v1'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SimpleCorridor-v0"), std::string::npos) << msg;
}

TEST(Registry, MakeAppliesOptionsAndTimeLimit) {
  corridor::register_simple_corridor();
  auto env = make("SimpleCorridor-v0", {{"corridor_length", 2}, {"max_episode_steps", 7}});
  auto* limit = dynamic_cast<TimeLimit*>(env.get());
  ASSERT_NE(limit, nullptr);
  EXPECT_EQ(limit->max_episode_steps(), 7);
  env->reset(uint64_t{0});
  env->step(int64_t{1});
  EXPECT_TRUE(env->step(int64_t{1}).terminated);
  auto unlimited = make("SimpleCorridor-v0", {{"max_episode_steps", nullptr}});
  EXPECT_EQ(dynamic_cast<TimeLimit*>(unlimited.get()), nullptr);
}

TEST(Registry, BadOptionsNameTheKey) {
  corridor::register_simple_corridor();
  EXPECT_ERROR_CONTAINS(make("SimpleCorridor-v0", {{"corridor_lenght", 3}}),
                        "unknown option(s) for 'SimpleCorridor-v0': 'corridor_lenght'");
  EXPECT_ERROR_CONTAINS(make("SimpleCorridor-v0", {{"corridor_length", "long"}}),
                        "option 'corridor_length' of 'SimpleCorridor-v0' must be an integer");
  EXPECT_ERROR_CONTAINS(make("SimpleCorridor-v0", {{"max_episode_steps", -2}}),
                        "'max_episode_steps'");
  EXPECT_ERROR_CONTAINS(make("SimpleCorridor-v0", nlohmann::json::array()),
                        "must be a JSON object");
}

TEST(Registry, RegisteringTwiceOrWithoutFactoryIsRefused) {
  corridor::register_simple_corridor();
  EXPECT_ERROR_CONTAINS(
      register_env(
          {.id = "SimpleCorridor-v0",
           .factory = [](EnvOptions&) { return std::make_unique<corridor::SimpleCorridor>(); }}),
      "already registered");
  EXPECT_ERROR_CONTAINS(register_env({.id = "NoFactory-v0"}), "has no factory");
  EXPECT_ERROR_CONTAINS(register_env({}), "id is empty");
}

// An environment whose observations leave its space: the checker must notice.
class LyingEnv : public Env {
 public:
  LyingEnv() : Env(Space::box(0.0f, 1.0f, {1}), Space::discrete(2)) {}

 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override { obs[0] = 0.5f; }
  StepResult do_step(ActionRef, std::span<float> obs) override {
    obs[0] = 2.0f;
    return {0.0, false, false};
  }
};

// An environment that ignores its seed: resets are not reproducible.
class UnseededEnv : public Env {
 public:
  UnseededEnv() : Env(Space::box(0.0f, 1.0f, {1}), Space::discrete(2)) {}

 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override {
    obs[0] = static_cast<float>(++counter_ % 2) * 0.5f;
  }
  StepResult do_step(ActionRef, std::span<float> obs) override {
    obs[0] = 0.0f;
    return {0.0, true, false};
  }

 private:
  int counter_ = 0;
};

TEST(EnvChecker, PassesTheCorridorAndCatchesBrokenEnvironments) {
  corridor::SimpleCorridor corridor_env;
  EXPECT_NO_THROW(check_env(corridor_env));
  LyingEnv lying;
  EXPECT_ERROR_CONTAINS(check_env(lying), "outside the observation space");
  UnseededEnv unseeded;
  EXPECT_ERROR_CONTAINS(check_env(unseeded), "twice gave different observations");
}

}  // namespace
}  // namespace cairn
