// Tests of the memory tasks StatelessCartPole-v1 and MemoryCue-v0: registration, options,
// StatelessCartPole's equality with CartPole-v1 minus the velocities (cairn's CartPole is
// itself replayed against Gymnasium in conformance_test.cpp), MemoryCue's episode
// structure, and the chance level a memoryless policy cannot beat.
//
// Helpers carry a memory_ prefix: test files are compiled eight to a translation unit.
#include <gtest/gtest.h>

#include "error_matchers.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "cairn/envs/cartpole.h"
#include "cairn/envs/memory_cue.h"
#include "cairn/envs/stateless_cartpole.h"
#include "cairn/error.h"

namespace cairn {
namespace {

uint32_t memory_bits(float f) {
  return std::bit_cast<uint32_t>(f);
}

uint64_t memory_bits(double d) {
  return std::bit_cast<uint64_t>(d);
}

// --- Registration -----------------------------------------------------------------------

TEST(MemoryEnvs, AreRegisteredWithTheirLimitsAndThresholds) {
  ASSERT_TRUE(is_registered("StatelessCartPole-v1"));
  ASSERT_TRUE(is_registered("MemoryCue-v0"));
  const EnvSpec stateless = env_spec("StatelessCartPole-v1");
  const EnvSpec cartpole = env_spec("CartPole-v1");
  EXPECT_EQ(stateless.max_episode_steps, cartpole.max_episode_steps);
  EXPECT_EQ(stateless.max_episode_steps, 500);
  EXPECT_EQ(stateless.reward_threshold, cartpole.reward_threshold);
  EXPECT_EQ(stateless.reward_threshold, 475.0);
  EXPECT_FALSE(stateless.description.empty());
  const EnvSpec cue = env_spec("MemoryCue-v0");
  EXPECT_FALSE(cue.max_episode_steps.has_value());  // episodes end by themselves
  EXPECT_EQ(cue.reward_threshold, 0.9);
  EXPECT_FALSE(cue.description.empty());
}

TEST(MemoryEnvs, PassCheckEnv) {
  for (const char* id : {"StatelessCartPole-v1", "MemoryCue-v0"}) {
    SCOPED_TRACE(id);
    std::unique_ptr<Env> env = make(id);
    EXPECT_NO_THROW(check_env(*env, 7));
    std::unique_ptr<Env> raw = make(id, {{"max_episode_steps", nullptr}});
    EXPECT_NO_THROW(check_env(*raw, 11, 300));
    EXPECT_TRUE(env->has_state());
  }
  for (const nlohmann::json& options :
       {nlohmann::json{{"delay", 1}}, nlohmann::json{{"delay", 3}, {"num_cues", 5}},
        nlohmann::json{{"delay", 40}, {"num_cues", 2}}}) {
    SCOPED_TRACE(options.dump());
    std::unique_ptr<Env> env = make("MemoryCue-v0", options);
    EXPECT_NO_THROW(check_env(*env, 3));
  }
  std::unique_ptr<Env> sutton = make("StatelessCartPole-v1", {{"sutton_barto_reward", true}});
  EXPECT_NO_THROW(check_env(*sutton, 5));
}

// --- StatelessCartPole ---------------------------------------------------------------------

TEST(StatelessCartPole, HasCartPolesSpacesWithoutTheVelocities) {
  std::unique_ptr<Env> stateless = make("StatelessCartPole-v1");
  std::unique_ptr<Env> cartpole = make("CartPole-v1");
  EXPECT_EQ(stateless->action_space(), cartpole->action_space());
  const Space& full = cartpole->observation_space();
  const Space& space = stateless->observation_space();
  ASSERT_TRUE(space.is_box());
  ASSERT_EQ(space.size(), 2u);
  EXPECT_EQ(space,
            Space::box({full.low()[0], full.low()[2]}, {full.high()[0], full.high()[2]}, {2}));
  // A StatelessCartPole is a CartPole (the renderer draws it as one).
  EXPECT_NE(dynamic_cast<const CartPole*>(&stateless->unwrapped()), nullptr);
}

// Same seeds, same random actions, whole episodes (terminated ones and, from states near
// balance with a balancing controller, time-limit truncations): StatelessCartPole-v1's
// observations are CartPole-v1's elements 0 and 2, bit for bit, with the same rewards,
// flags and states.
TEST(StatelessCartPole, EqualsCartPoleWithTheVelocitiesDropped) {
  for (const bool sutton_barto : {false, true}) {
    const nlohmann::json options = {{"sutton_barto_reward", sutton_barto}};
    std::unique_ptr<Env> stateless = make("StatelessCartPole-v1", options);
    std::unique_ptr<Env> cartpole = make("CartPole-v1", options);
    Rng actions(uint64_t{21});
    int terminated = 0, truncated = 0;
    for (uint64_t seed = 0; seed < 12; ++seed) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", sutton_barto_reward " +
                   std::to_string(sutton_barto));
      // Odd seeds: random actions (episodes end by termination). Even seeds: push against
      // the pole's lean, which balances it until the time limit truncates the episode.
      const bool balance = seed % 2 == 0;
      std::vector<float> s = stateless->reset(seed);
      std::vector<float> c = cartpole->reset(seed);
      ASSERT_EQ(s.size(), 2u);
      ASSERT_EQ(c.size(), 4u);
      EXPECT_EQ(memory_bits(s[0]), memory_bits(c[0]));
      EXPECT_EQ(memory_bits(s[1]), memory_bits(c[2]));
      EXPECT_EQ(stateless->get_state(), cartpole->get_state());
      for (int step = 0;; ++step) {
        ASSERT_LT(step, 500);
        const int64_t a =
            balance ? (c[2] + 0.5f * c[3] > 0.0f ? 1 : 0) : static_cast<int64_t>(actions.below(2));
        const Transition ts = stateless->step(a);
        const Transition tc = cartpole->step(a);
        ASSERT_EQ(ts.observation.size(), 2u);
        ASSERT_EQ(memory_bits(ts.observation[0]), memory_bits(tc.observation[0])) << step;
        ASSERT_EQ(memory_bits(ts.observation[1]), memory_bits(tc.observation[2])) << step;
        ASSERT_EQ(memory_bits(ts.reward), memory_bits(tc.reward)) << step;
        ASSERT_EQ(ts.terminated, tc.terminated) << step;
        ASSERT_EQ(ts.truncated, tc.truncated) << step;
        ASSERT_EQ(stateless->get_state(), cartpole->get_state()) << step;
        c = tc.observation;
        if (tc.terminated || tc.truncated) {
          terminated += tc.terminated ? 1 : 0;
          truncated += tc.truncated ? 1 : 0;
          if (tc.truncated) {
            EXPECT_EQ(step, 499);
          }
          break;
        }
      }
    }
    // Both ends of an episode were compared.
    EXPECT_GT(terminated, 0);
    EXPECT_GT(truncated, 0);
  }
}

// Without a seed, reset() continues the generator: successive episodes stay equal.
TEST(StatelessCartPole, ContinuesTheGeneratorAsCartPole) {
  StatelessCartPole stateless;
  CartPole cartpole;
  stateless.reset(uint64_t{5});
  cartpole.reset(uint64_t{5});
  for (int episode = 0; episode < 3; ++episode) {
    const std::vector<float> s = stateless.reset();
    const std::vector<float> c = cartpole.reset();
    EXPECT_EQ(memory_bits(s[0]), memory_bits(c[0]));
    EXPECT_EQ(memory_bits(s[1]), memory_bits(c[2]));
  }
}

TEST(StatelessCartPole, SetStateAsCartPole) {
  StatelessCartPole env;
  env.reset(uint64_t{0});
  env.set_state(std::vector<double>{2.5, 1.0, 0.0, 0.0});  // past the edge
  EXPECT_EQ(env.get_state(), (std::vector<double>{2.5, 1.0, 0.0, 0.0}));
  const Transition t = env.step(int64_t{1});
  EXPECT_TRUE(t.terminated);
  testing::expect_error_containing_all(
      [&] {
        env.set_state(std::vector<double>{0.0, 0.0});
      },
      {"4"});
}

TEST(StatelessCartPole, RefusesUnknownOptions) {
  testing::expect_error_containing_all(
      [] {
        make("StatelessCartPole-v1", {{"delay", 3}});
      },
      {"delay", "StatelessCartPole-v1"});
  testing::expect_error_containing_all(
      [] {
        make("StatelessCartPole-v1", {{"sutton_barto_reward", 1}});
      },
      {"sutton_barto_reward"});
}

// --- MemoryCue ---------------------------------------------------------------------------

// The cue of a first observation (the one-hot element that is 1), checking the rest.
int64_t memory_cue_of(const std::vector<float>& obs, int64_t num_cues) {
  int64_t cue = -1;
  for (int64_t i = 0; i < num_cues; ++i) {
    const float v = obs[static_cast<size_t>(i)];
    EXPECT_TRUE(v == 0.0f || v == 1.0f) << v;
    if (v == 1.0f) {
      EXPECT_EQ(cue, -1) << "two cues shown";
      cue = i;
    }
  }
  EXPECT_EQ(obs[static_cast<size_t>(num_cues)], 0.0f) << "the answer flag at the first step";
  return cue;
}

TEST(MemoryCue, HasTheDocumentedSpaces) {
  std::unique_ptr<Env> env = make("MemoryCue-v0");
  EXPECT_EQ(env->observation_space(), Space::box(0.0f, 1.0f, {3}));
  EXPECT_EQ(env->action_space(), Space::discrete(2));
  std::unique_ptr<Env> five = make("MemoryCue-v0", {{"num_cues", 5}, {"delay", 2}});
  EXPECT_EQ(five->observation_space(), Space::box(0.0f, 1.0f, {6}));
  EXPECT_EQ(five->action_space(), Space::discrete(5));
  const auto& cue = dynamic_cast<const MemoryCue&>(five->unwrapped());
  EXPECT_EQ(cue.delay(), 2);
  EXPECT_EQ(cue.num_cues(), 5);
  const auto& defaults = dynamic_cast<const MemoryCue&>(env->unwrapped());
  EXPECT_EQ(defaults.delay(), 8);
  EXPECT_EQ(defaults.num_cues(), 2);
}

// The cue only in the first observation, blank observations for `delay` steps with the
// flag on the last one, the answer at step delay + 1: +1 when right, -1 when wrong,
// 0 before; the episode terminates after the answer and never truncates.
TEST(MemoryCue, ShowsTheCueOnceAndRewardsOnlyTheRightAnswerAtTheEnd) {
  for (const auto& [delay, num_cues] :
       std::vector<std::pair<int64_t, int64_t>>{{8, 2}, {1, 2}, {5, 3}, {30, 4}}) {
    SCOPED_TRACE("delay " + std::to_string(delay) + ", num_cues " + std::to_string(num_cues));
    std::unique_ptr<Env> env = make("MemoryCue-v0", {{"delay", delay}, {"num_cues", num_cues}});
    const auto& unwrapped = dynamic_cast<const MemoryCue&>(env->unwrapped());
    Rng actions(uint64_t{3});
    for (uint64_t seed = 0; seed < 20; ++seed) {
      const std::vector<float> first = env->reset(seed);
      const int64_t cue = memory_cue_of(first, num_cues);
      ASSERT_GE(cue, 0);
      EXPECT_EQ(cue, unwrapped.cue());
      // Intermediate steps: any action, reward 0, no cue.
      int64_t steps = 0;
      for (int64_t k = 1; k <= delay; ++k) {
        const Transition t =
            env->step(static_cast<int64_t>(actions.below(static_cast<uint64_t>(num_cues))));
        ++steps;
        EXPECT_EQ(t.reward, 0.0);
        EXPECT_FALSE(t.terminated);
        EXPECT_FALSE(t.truncated);
        for (int64_t i = 0; i < num_cues; ++i) {
          EXPECT_EQ(t.observation[static_cast<size_t>(i)], 0.0f) << "the cue at step " << k;
        }
        EXPECT_EQ(t.observation[static_cast<size_t>(num_cues)], k == delay ? 1.0f : 0.0f)
            << "the answer flag at step " << k;
      }
      // The answer: right on even seeds, wrong on odd ones.
      const bool right = seed % 2 == 0;
      const int64_t answer = right ? cue : (cue + 1) % num_cues;
      const Transition last = env->step(answer);
      ++steps;
      EXPECT_EQ(last.reward, right ? 1.0 : -1.0);
      EXPECT_TRUE(last.terminated);
      EXPECT_FALSE(last.truncated);
      EXPECT_EQ(steps, delay + 1);
      EXPECT_FALSE(env->episode_active());
      testing::expect_error_containing_all([&] { env->step(int64_t{0}); }, {"reset"});
    }
  }
}

TEST(MemoryCue, SameSeedSameCueAndBothCuesAppearAcrossSeeds) {
  std::unique_ptr<Env> env = make("MemoryCue-v0");
  std::vector<int64_t> counts(2, 0);
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const int64_t cue = memory_cue_of(env->reset(seed), 2);
    ASSERT_TRUE(cue == 0 || cue == 1);
    ++counts[static_cast<size_t>(cue)];
    EXPECT_EQ(memory_cue_of(env->reset(seed), 2), cue) << "seed " << seed;
  }
  // Binomial(400, 1/2): the standard deviation is 10; 140 is six of them below 200.
  EXPECT_GT(counts[0], 140);
  EXPECT_GT(counts[1], 140);
  // Five cues, drawn without a seed after one seeded reset: every cue appears.
  std::unique_ptr<Env> five = make("MemoryCue-v0", {{"num_cues", 5}});
  std::set<int64_t> seen;
  five->reset(uint64_t{9});
  for (int i = 0; i < 200; ++i) seen.insert(memory_cue_of(five->reset(), 5));
  EXPECT_EQ(seen, (std::set<int64_t>{0, 1, 2, 3, 4}));
}

// The observation the answer is chosen from is the same whatever the cue, so a memoryless
// policy (always answering 0 here; any function of the current observation alike) is
// right half the time with 2 cues: mean return near 0. Remembering the first observation
// gives +1 every time.
TEST(MemoryCue, AMemorylessPolicyScoresChanceAndMemoryScoresOne) {
  std::unique_ptr<Env> env = make("MemoryCue-v0");
  std::vector<float> answer_obs;
  double memoryless = 0.0, remembering = 0.0;
  constexpr int kEpisodes = 1000;
  for (int episode = 0; episode < kEpisodes; ++episode) {
    const uint64_t seed = static_cast<uint64_t>(1000 + episode);
    // Always answer 0.
    std::vector<float> obs = env->reset(seed);
    for (;;) {
      const Transition t = env->step(int64_t{0});
      if (t.terminated) {
        memoryless += t.reward;
        break;
      }
      obs = t.observation;
    }
    // The observation answered from is the same in every episode.
    if (answer_obs.empty()) answer_obs = obs;
    EXPECT_EQ(obs, answer_obs);
    // Remember the cue.
    const int64_t cue = memory_cue_of(env->reset(seed), 2);
    for (;;) {
      const Transition t = env->step(cue);
      if (t.terminated) {
        remembering += t.reward;
        break;
      }
    }
  }
  EXPECT_EQ(answer_obs, (std::vector<float>{0.0f, 0.0f, 1.0f}));
  // The mean of 1000 +-1 rewards has standard deviation ~0.032 around 0.
  EXPECT_LT(std::abs(memoryless / kEpisodes), 0.15) << memoryless / kEpisodes;
  EXPECT_EQ(remembering / kEpisodes, 1.0);
}

TEST(MemoryCue, RefusesBadOptionsNamingThem) {
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"delay", 0}});
      },
      {"'delay'", "got 0"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"delay", -3}});
      },
      {"'delay'", "-3"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"delay", 2000000}});
      },
      {"'delay'"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"delay", 2.5}});
      },
      {"'delay'", "integer"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"delay", "8"}});
      },
      {"'delay'", "integer"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"num_cues", 1}});
      },
      {"'num_cues'", "got 1"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"num_cues", 0}});
      },
      {"'num_cues'"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"num_cues", 5000}});
      },
      {"'num_cues'"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"num_cues", true}});
      },
      {"'num_cues'"});
  testing::expect_error_containing_all(
      [] {
        make("MemoryCue-v0", {{"dealy", 3}});
      },
      {"dealy", "MemoryCue-v0"});
  testing::expect_error_containing_all([] { MemoryCue m(0, 2); }, {"'delay'"});
  testing::expect_error_containing_all([] { MemoryCue m(8, 1); }, {"'num_cues'"});
}

TEST(MemoryCue, StateRoundTripsAndBadStatesAreRefused) {
  MemoryCue env(4, 3);
  env.reset(uint64_t{2});
  env.step(int64_t{0});
  env.step(int64_t{0});
  const std::vector<double> state = env.get_state();
  EXPECT_EQ(state, (std::vector<double>{static_cast<double>(env.cue()), 2.0}));
  // Restored into another episode, the rest of the episode follows the saved one.
  MemoryCue other(4, 3);
  other.reset(uint64_t{7});
  other.set_state(state);
  EXPECT_EQ(other.cue(), env.cue());
  for (int k = 0; k < 2; ++k) {
    const Transition a = env.step(int64_t{1});
    const Transition b = other.step(int64_t{1});
    EXPECT_EQ(a.observation, b.observation);
  }
  const Transition a = env.step(env.cue());
  const Transition b = other.step(other.cue());
  EXPECT_EQ(a.reward, 1.0);
  EXPECT_EQ(b.reward, 1.0);
  EXPECT_TRUE(b.terminated);
  testing::expect_error_containing_all(
      [&] {
        other.set_state(std::vector<double>{3.0, 0.0});
      },
      {"'cue'", "3"});
  testing::expect_error_containing_all(
      [&] {
        other.set_state(std::vector<double>{-1.0, 0.0});
      },
      {"'cue'"});
  testing::expect_error_containing_all(
      [&] {
        other.set_state(std::vector<double>{0.5, 0.0});
      },
      {"'cue'"});
  testing::expect_error_containing_all(
      [&] {
        other.set_state(std::vector<double>{0.0, 6.0});
      },
      {"'steps'"});
  testing::expect_error_containing_all([&] { other.set_state(std::vector<double>{0.0}); }, {"2"});
}

}  // namespace
}  // namespace cairn
