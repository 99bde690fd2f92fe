// MultiAgentVectorEnv: copies seeded seed + k, the same-step auto-reset of a copy whose
// episode is over, agents that leave while their copy goes on, and per-agent statistics,
// checked against single CartPoles stepped by hand with the same actions.
#include "cairn/env/multi_agent_vector_env.h"

#include <gtest/gtest.h>

#include <memory>

#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/random/random.h"
#include "error_matchers.h"

namespace cairn {
namespace {

TEST(MultiAgentVectorEnv, CopiesAreSeededAndResetLikeSingleEnvironmentsSteppedByHand) {
  const size_t copies = 3, agents = 2;
  const uint64_t seed = 11;
  MultiAgentVectorEnv vec("MultiAgentCartPole-v0", copies, {{"num_agents", agents}});
  vec.reset(seed);
  // Copy k's agent i is a CartPole reset with seed + k + i; when every agent of copy k has
  // ended, all of them are reset without a seed (each continuing its own generator).
  std::vector<std::vector<std::unique_ptr<Env>>> singles(copies);
  std::vector<std::vector<std::vector<float>>> obs(copies);
  std::vector<std::vector<uint8_t>> live(copies);
  std::vector<std::vector<double>> returns(copies, std::vector<double>(agents, 0.0));
  for (size_t k = 0; k < copies; ++k) {
    for (size_t i = 0; i < agents; ++i) {
      singles[k].push_back(make("CartPole-v1"));
      obs[k].push_back(singles[k][i]->reset(seed + k + i));
      live[k].push_back(1);
      ASSERT_EQ(vec.observations(k).observations[i], obs[k][i]);
    }
  }
  Rng rng(5);
  std::vector<MultiAgentActions> actions(copies, MultiAgentActions(agents));
  size_t episodes_ended = 0, agents_left_early = 0;
  for (int t = 0; t < 400; ++t) {
    for (size_t k = 0; k < copies; ++k) {
      actions[k].clear();
      for (size_t i = 0; i < agents; ++i) {
        if (vec.observations(k).has_observation[i] != 0) {
          actions[k].set(i, static_cast<int64_t>(rng.below(2)));
        }
      }
    }
    vec.step(actions);
    size_t finished = 0;
    for (size_t k = 0; k < copies; ++k) {
      const MultiAgentStep& r = vec.step_result(k);
      bool any_live = false;
      for (size_t i = 0; i < agents; ++i) {
        ASSERT_EQ(r.acted[i], live[k][i]) << "t " << t << " copy " << k << " agent " << i;
        if (!live[k][i]) continue;
        const Transition s = singles[k][i]->step(actions[k].get(i).discrete);
        ASSERT_EQ(r.observations[i], s.observation) << "t " << t;
        ASSERT_EQ(r.rewards[i], s.reward);
        ASSERT_EQ(r.terminated[i] != 0, s.terminated);
        ASSERT_EQ(r.truncated[i] != 0, s.truncated);
        returns[k][i] += s.reward;
        live[k][i] = !(s.terminated || s.truncated);
        any_live = any_live || live[k][i];
      }
      ASSERT_EQ(vec.episode_ended(k), !any_live);
      if (any_live && (live[k][0] != live[k][1])) ++agents_left_early;
      if (!any_live) {
        ASSERT_LT(finished, vec.finished_episodes().size());
        const MultiAgentEpisodeRecord& e = vec.finished_episodes()[finished++];
        EXPECT_EQ(e.env_index, k);
        EXPECT_EQ(e.agent_returns, returns[k]);
        EXPECT_EQ(e.length, static_cast<int64_t>(std::max(e.agent_lengths[0], e.agent_lengths[1])));
        ++episodes_ended;
        for (size_t i = 0; i < agents; ++i) {
          obs[k][i] = singles[k][i]->reset();
          live[k][i] = 1;
          returns[k][i] = 0.0;
        }
      }
      for (size_t i = 0; i < agents; ++i) {
        ASSERT_EQ(vec.observations(k).has_observation[i], live[k][i]);
        if (vec.episode_ended(k)) {
          ASSERT_EQ(vec.observations(k).observations[i], obs[k][i]);
        }
      }
    }
    ASSERT_EQ(finished, vec.finished_episodes().size());
  }
  // Random CartPole episodes are short: many ended, and agents left before their copy ended.
  EXPECT_GT(episodes_ended, 20u);
  EXPECT_GT(agents_left_early, 20u);
}

TEST(MultiAgentVectorEnv, RefusesBadUseNamingTheCopy) {
  MultiAgentVectorEnv vec("MultiAgentCartPole-v0", 2);
  std::vector<MultiAgentActions> actions(2, MultiAgentActions(2));
  testing::expect_error_containing_all([&] { vec.step(actions); }, {"before reset"});
  vec.reset(0);
  testing::expect_error_containing_all(
      [&] { vec.step(std::span<const MultiAgentActions>(actions.data(), 1)); },
      {"1 sets of actions for 2 environments"});
  actions[0].set(0, int64_t{1});
  actions[0].set(1, int64_t{0});
  actions[1].set(0, int64_t{1});
  testing::expect_error_containing_all([&] { vec.step(actions); },
                                       {"environment 1", "no action for the live agent 'agent_1'"});
  testing::expect_error_containing_all([] { MultiAgentVectorEnv("MultiAgentCartPole-v0", 0); },
                                       {"num_envs must be in"});
  testing::expect_error_containing_all(
      [] { MultiAgentVectorEnv("NoSuchGame-v0", 2); },
      {"unknown multi-agent environment id 'NoSuchGame-v0'", "MultiAgentCartPole-v0"});
}

}  // namespace
}  // namespace cairn
