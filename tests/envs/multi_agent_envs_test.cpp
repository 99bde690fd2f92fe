// Tests of the built-in multi-agent environments: the registry's list, MultiAgentCartPole-v0
// (agent i is CartPole-v1 with seed + i, bit for bit), RockPaperScissors-v0 (payoffs,
// observations, episode length) and SplitAxisNavigation-v0 (draws, dynamics, and the gap
// between an optimal team and a team with a random partner), and check_multi_agent_env on
// each.
//
// Helpers carry a ma_envs_ prefix: test files are compiled eight to a translation unit.
#include <gtest/gtest.h>

#include "error_matchers.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/env/env_registry.h"
#include "cairn/env/multi_agent_env.h"
#include "cairn/env/multi_agent_env_checker.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/envs/rock_paper_scissors.h"
#include "cairn/envs/split_axis_navigation.h"
#include "cairn/error.h"

namespace cairn {
namespace {

uint32_t ma_envs_bits(float f) {
  return std::bit_cast<uint32_t>(f);
}

uint64_t ma_envs_bits(double d) {
  return std::bit_cast<uint64_t>(d);
}

// --- The registry -------------------------------------------------------------------------

TEST(MultiAgentRegistry, ListsTheBuiltIns) {
  const std::vector<std::string> ids = registered_multi_agent_env_ids();
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const char* id :
       {"MultiAgentCartPole-v0", "RockPaperScissors-v0", "SplitAxisNavigation-v0"}) {
    SCOPED_TRACE(id);
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end());
    EXPECT_TRUE(is_multi_agent_env(id));
    EXPECT_FALSE(is_registered(id));  // not a single-agent id
    EXPECT_FALSE(multi_agent_env_spec(id).description.empty());
    EXPECT_EQ(make_multi_agent(id)->name(), id);
  }
  EXPECT_EQ(multi_agent_env_spec("MultiAgentCartPole-v0").reward_threshold, 475.0);
  EXPECT_FALSE(multi_agent_env_spec("RockPaperScissors-v0").reward_threshold.has_value());
  EXPECT_EQ(multi_agent_env_spec("SplitAxisNavigation-v0").reward_threshold, 0.9);
}

TEST(MultiAgentRegistry, UnknownIdListsTheRegisteredIds) {
  testing::expect_error_containing_all(
      [] { make_multi_agent("RockPaperScisors-v0"); },
      {"unknown multi-agent environment id 'RockPaperScisors-v0'", "MultiAgentCartPole-v0",
       "RockPaperScissors-v0", "SplitAxisNavigation-v0"});
  EXPECT_ERROR_CONTAINS(multi_agent_env_spec("CartPole-v1"),
                        "unknown multi-agent environment id 'CartPole-v1'");
}

TEST(MultiAgentRegistry, BuiltInsPassTheChecker) {
  for (const char* id :
       {"MultiAgentCartPole-v0", "RockPaperScissors-v0", "SplitAxisNavigation-v0"}) {
    SCOPED_TRACE(id);
    std::unique_ptr<MultiAgentEnv> env = make_multi_agent(id);
    EXPECT_NO_THROW(check_multi_agent_env(*env));
    EXPECT_NO_THROW(check_multi_agent_env(*env, 7, 300));
  }
  for (const auto& [id, options] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"MultiAgentCartPole-v0", {{"num_agents", 3}}},
           {"MultiAgentCartPole-v0", {{"num_agents", 1}}},
           {"RockPaperScissors-v0", {{"rounds", 1}}},
           {"RockPaperScissors-v0", {{"rounds", 200}}},
           {"SplitAxisNavigation-v0", {{"size", 2}, {"max_steps", 1}}},
           {"SplitAxisNavigation-v0", {{"size", 30}, {"max_steps", 100}}}}) {
    SCOPED_TRACE(id + " " + options.dump());
    std::unique_ptr<MultiAgentEnv> env = make_multi_agent(id, options);
    EXPECT_NO_THROW(check_multi_agent_env(*env, 11));
  }
}

// --- MultiAgentCartPole -------------------------------------------------------------------

// With seed 7, agent i is a CartPole-v1 reset with seed 7 + i: the same observations, rewards
// and flags, bit for bit, under the same actions, until its episode ends; an agent that ends
// leaves while the others go on.
TEST(MultiAgentCartPole, EachAgentIsACartPoleSeededWithSeedPlusItsIndex) {
  constexpr size_t kAgents = 3;
  std::unique_ptr<MultiAgentEnv> env =
      make_multi_agent("MultiAgentCartPole-v0", {{"num_agents", kAgents}});
  ASSERT_EQ(env->possible_agents(), (std::vector<std::string>{"agent_0", "agent_1", "agent_2"}));
  std::vector<std::unique_ptr<Env>> singles;
  std::vector<std::vector<float>> single_obs;
  for (size_t i = 0; i < kAgents; ++i) {
    singles.push_back(make("CartPole-v1"));
    EXPECT_EQ(env->observation_space(i), singles[i]->observation_space());
    EXPECT_EQ(env->action_space(i), singles[i]->action_space());
    single_obs.push_back(singles[i]->reset(uint64_t{7} + i));
  }
  MultiAgentStep out = env->make_step_buffers();
  MultiAgentActions actions = env->make_actions();
  env->reset(out, uint64_t{7});
  for (size_t i = 0; i < kAgents; ++i) {
    ASSERT_EQ(out.has_observation[i], 1);
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(ma_envs_bits(out.observations[i][k]), ma_envs_bits(single_obs[i][k]));
    }
  }
  Rng policy(uint64_t{99});
  std::vector<int> episode_length(kAgents, 0);
  bool saw_some_agents_go_on = false;
  for (int step = 1; env->episode_active(); ++step) {
    ASSERT_LE(step, 500);
    actions.clear();
    std::vector<int64_t> chosen(kAgents, -1);
    for (const size_t i : env->agents()) {
      chosen[i] = static_cast<int64_t>(policy.below(2));
      actions.set(i, chosen[i]);
    }
    env->step(actions, out);
    for (size_t i = 0; i < kAgents; ++i) {
      SCOPED_TRACE("agent " + std::to_string(i) + ", step " + std::to_string(step));
      if (chosen[i] < 0) {
        EXPECT_EQ(out.acted[i], 0);
        EXPECT_EQ(out.has_observation[i], 0);
        continue;
      }
      ASSERT_TRUE(singles[i]->episode_active());
      const StepResult r = singles[i]->step(ActionRef{{&chosen[i], 1}, {}}, single_obs[i]);
      EXPECT_EQ(out.acted[i], 1);
      ASSERT_EQ(out.has_observation[i], 1);
      for (size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(ma_envs_bits(out.observations[i][k]), ma_envs_bits(single_obs[i][k]));
      }
      EXPECT_EQ(ma_envs_bits(out.rewards[i]), ma_envs_bits(r.reward));
      EXPECT_EQ(out.terminated[i] != 0, r.terminated);
      EXPECT_EQ(out.truncated[i] != 0, r.truncated);
      // An agent whose episode ended has left; one whose episode goes on is still live.
      EXPECT_EQ(env->is_live(i), !(r.terminated || r.truncated));
      if (r.terminated || r.truncated) episode_length[i] = step;
    }
    if (env->episode_active() && env->agents().size() < kAgents) saw_some_agents_go_on = true;
  }
  for (size_t i = 0; i < kAgents; ++i) EXPECT_GT(episode_length[i], 0);
  // The random episodes have different lengths, so agents left while others went on.
  EXPECT_TRUE(saw_some_agents_go_on);
  EXPECT_NE(*std::min_element(episode_length.begin(), episode_length.end()),
            *std::max_element(episode_length.begin(), episode_length.end()));
}

TEST(MultiAgentCartPole, RefusesBadOptions) {
  EXPECT_EQ(make_multi_agent("MultiAgentCartPole-v0")->num_possible_agents(), 2u);
  EXPECT_EQ(
      make_multi_agent("MultiAgentCartPole-v0", {{"num_agents", 1024}})->num_possible_agents(),
      1024u);
  for (const int64_t n : {int64_t{0}, int64_t{-1}, int64_t{1025}}) {
    testing::expect_error_containing_all(
        [&] {
          make_multi_agent("MultiAgentCartPole-v0", {{"num_agents", n}});
        },
        {"making 'MultiAgentCartPole-v0'", "option 'num_agents' must be in [1, 1024]",
         std::to_string(n)});
  }
  EXPECT_ERROR_CONTAINS(make_multi_agent("MultiAgentCartPole-v0", {{"num_agent", 3}}),
                        "unknown option(s) for 'MultiAgentCartPole-v0': 'num_agent'");
  EXPECT_ERROR_CONTAINS(make_multi_agent("MultiAgentCartPole-v0", {{"num_agents", "three"}}),
                        "'num_agents'");
}

// --- RockPaperScissors ----------------------------------------------------------------------

TEST(RockPaperScissors, PaysTheWinnerOfEveryActionPair) {
  constexpr int64_t R = RockPaperScissors::kRock, P = RockPaperScissors::kPaper,
                    S = RockPaperScissors::kScissors;
  // player_0's reward for (its move, player_1's move).
  const double expected[3][3] = {
      /* R */ {0.0, -1.0, 1.0},
      /* P */ {1.0, 0.0, -1.0},
      /* S */ {-1.0, 1.0, 0.0},
  };
  EXPECT_EQ(expected[P][R], 1.0);  // paper wraps rock
  EXPECT_EQ(expected[S][P], 1.0);  // scissors cut paper
  EXPECT_EQ(expected[R][S], 1.0);  // rock blunts scissors
  std::unique_ptr<MultiAgentEnv> env = make_multi_agent("RockPaperScissors-v0");
  ASSERT_EQ(env->possible_agents(), (std::vector<std::string>{"player_0", "player_1"}));
  MultiAgentStep out = env->make_step_buffers();
  MultiAgentActions actions = env->make_actions();
  env->reset(out, uint64_t{0});
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t b = 0; b < 3; ++b) {
      SCOPED_TRACE("player_0 plays " + std::to_string(a) + ", player_1 " + std::to_string(b));
      EXPECT_EQ(RockPaperScissors::payoff(a, b), expected[a][b]);
      actions.clear();
      actions.set(0, a);
      actions.set(1, b);
      env->step(actions, out);
      EXPECT_EQ(out.rewards[0], expected[a][b]);
      EXPECT_EQ(out.rewards[1], -expected[a][b]);  // zero-sum and symmetric
      if (!env->episode_active()) env->reset(out);
    }
  }
}

TEST(RockPaperScissors, EachPlayerObservesTheOpponentsLastMove) {
  RockPaperScissors env;
  EXPECT_EQ(env.observation_space(0), Space::box(0.0f, 1.0f, {4}));
  EXPECT_EQ(env.observation_space(1), Space::box(0.0f, 1.0f, {4}));
  EXPECT_EQ(env.action_space(0), Space::discrete(3));
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, uint64_t{0});
  const std::vector<float> no_previous_move = {0.0f, 0.0f, 0.0f, 1.0f};
  EXPECT_EQ(out.observations[0], no_previous_move);
  EXPECT_EQ(out.observations[1], no_previous_move);
  auto one_hot = [](int64_t move) {
    std::vector<float> v(4, 0.0f);
    v[static_cast<size_t>(move)] = 1.0f;
    return v;
  };
  const int64_t moves[][2] = {{0, 2}, {1, 1}, {2, 0}, {2, 1}, {0, 1}};
  for (const auto& [mine, theirs] : moves) {
    actions.clear();
    actions.set(0, mine);
    actions.set(1, theirs);
    env.step(actions, out);
    EXPECT_EQ(out.observations[0], one_hot(theirs));
    EXPECT_EQ(out.observations[1], one_hot(mine));
  }
  // A new episode forgets the last moves.
  env.reset(out);
  EXPECT_EQ(out.observations[0], no_previous_move);
  EXPECT_EQ(out.observations[1], no_previous_move);
}

TEST(RockPaperScissors, TerminatesBothPlayersAfterTheRounds) {
  for (const int64_t rounds : {int64_t{1}, int64_t{3}, RockPaperScissors::kDefaultRounds}) {
    SCOPED_TRACE("rounds " + std::to_string(rounds));
    std::unique_ptr<MultiAgentEnv> env =
        rounds == RockPaperScissors::kDefaultRounds
            ? make_multi_agent("RockPaperScissors-v0")
            : make_multi_agent("RockPaperScissors-v0", {{"rounds", rounds}});
    MultiAgentStep out = env->make_step_buffers();
    MultiAgentActions actions = env->make_actions();
    for (int episode = 0; episode < 2; ++episode) {
      env->reset(out, uint64_t{1});
      for (int64_t round = 1; round <= rounds; ++round) {
        ASSERT_TRUE(env->episode_active());
        actions.clear();
        actions.set(0, round % 3);
        actions.set(1, (round * 2) % 3);
        env->step(actions, out);
        const uint8_t last = round == rounds ? 1 : 0;
        EXPECT_EQ(out.terminated, (std::vector<uint8_t>{last, last}));
        EXPECT_EQ(out.truncated, (std::vector<uint8_t>{0, 0}));
        EXPECT_EQ(out.has_observation, (std::vector<uint8_t>{1, 1}));
      }
      EXPECT_FALSE(env->episode_active());
      actions.clear();
      EXPECT_ERROR_CONTAINS(env->step(actions, out), "the episode is over");
    }
  }
  EXPECT_ERROR_CONTAINS(make_multi_agent("RockPaperScissors-v0", {{"rounds", 0}}),
                        "option 'rounds' must be an integer from 1 to 1000000, got 0");
  EXPECT_ERROR_CONTAINS(make_multi_agent("RockPaperScissors-v0", {{"round", 5}}),
                        "unknown option(s) for 'RockPaperScissors-v0': 'round'");
}

// --- SplitAxisNavigation ----------------------------------------------------------------------

// The action that moves the marker towards the target along an agent's axis, given only that
// agent's observation (the scaled offset), and stays once there.
int64_t ma_envs_towards(float offset) {
  if (offset > 0.0f) return 2;
  if (offset < 0.0f) return 0;
  return 1;
}

// One episode of SplitAxisNavigation with the given seed; agent i acts at random (from
// `partner`) when random[i], else towards the target. Returns whether the team scored, and
// checks the rewards, flags and observations of every step against the documented rules.
bool ma_envs_navigation_episode(SplitAxisNavigation& env, uint64_t seed, const bool random[2],
                                Rng& partner) {
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  env.reset(out, seed);
  const double scale = static_cast<double>(env.size() - 1);
  std::array<int64_t, 2> marker = env.marker();
  const std::array<int64_t, 2> target = env.target();
  for (int64_t step = 1;; ++step) {
    actions.clear();
    for (size_t i = 0; i < 2; ++i) {
      const int64_t a = random[i] ? static_cast<int64_t>(partner.below(3))
                                  : ma_envs_towards(out.observations[i][0]);
      actions.set(i, a);
      marker[i] = std::clamp<int64_t>(marker[i] + a - 1, 0, env.size() - 1);
    }
    env.step(actions, out);
    EXPECT_EQ(env.marker(), marker);
    const bool scored = marker == target;
    const bool out_of_time = !scored && step == env.max_steps();
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(out.rewards[i], scored ? 1.0 : -0.01);
      EXPECT_EQ(out.terminated[i] != 0, scored);
      EXPECT_EQ(out.truncated[i] != 0, out_of_time);
      EXPECT_EQ(out.observations[i][0],
                static_cast<float>(static_cast<double>(target[i] - marker[i]) / scale));
    }
    if (scored || out_of_time) {
      EXPECT_FALSE(env.episode_active());
      return scored;
    }
    if (::testing::Test::HasFailure()) return false;
  }
}

TEST(SplitAxisNavigation, DrawsMarkerAndTargetFromNpRandomAndObservesTheOffsets) {
  std::unique_ptr<MultiAgentEnv> made = make_multi_agent("SplitAxisNavigation-v0");
  auto& env = dynamic_cast<SplitAxisNavigation&>(*made);
  ASSERT_EQ(env.possible_agents(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(env.size(), 9);
  EXPECT_EQ(env.max_steps(), 12);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(env.observation_space(i), Space::box(-1.0f, 1.0f, {1}));
    EXPECT_EQ(env.action_space(i), Space::discrete(3));
  }
  MultiAgentStep out = env.make_step_buffers();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    env.reset(out, seed);
    Rng rng(seed);  // as np.random.default_rng(seed).integers(9), four times
    const std::array<int64_t, 2> marker = {static_cast<int64_t>(rng.below(9)),
                                           static_cast<int64_t>(rng.below(9))};
    const std::array<int64_t, 2> target = {static_cast<int64_t>(rng.below(9)),
                                           static_cast<int64_t>(rng.below(9))};
    EXPECT_EQ(env.marker(), marker);
    EXPECT_EQ(env.target(), target);
    EXPECT_EQ(env.np_random(), rng);  // four draws, no more
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(out.observations[i][0], static_cast<float>(target[i] - marker[i]) / 8.0f);
    }
  }
  // Unseeded resets continue the generator.
  env.reset(out, uint64_t{3});
  Rng rng(uint64_t{3});
  for (int k = 0; k < 4; ++k) rng.below(9);
  env.reset(out);
  EXPECT_EQ(env.marker()[0], static_cast<int64_t>(rng.below(9)));
}

// The scripted optimal team (each agent moves by the sign of its own offset, then stays)
// scores +1 in every episode, within the worst case of size - 1 steps; with one agent acting
// at random the team scores in well under half of the same episodes. Deterministic given the
// seeds, so the counts are exact: 1000, 390 (x random), 380 (y random) and 94 (both random) of
// 1000 when this was written.
TEST(SplitAxisNavigation, OptimalTeamAlwaysScoresAndARandomPartnerRarelyDoes) {
  SplitAxisNavigation env;
  constexpr int kEpisodes = 1000;
  const bool optimal[2] = {false, false}, random_x[2] = {true, false}, random_y[2] = {false, true},
             both_random[2] = {true, true};
  int optimal_wins = 0, random_x_wins = 0, random_y_wins = 0, both_random_wins = 0;
  for (int episode = 0; episode < kEpisodes; ++episode) {
    const uint64_t seed = static_cast<uint64_t>(episode);
    Rng partner = Rng::stream(seed, 1);
    if (ma_envs_navigation_episode(env, seed, optimal, partner)) {
      ++optimal_wins;
      const std::array<int64_t, 2> marker = env.marker();
      EXPECT_LE(env.steps(), env.size() - 1);
      EXPECT_EQ(marker, env.target());
    }
    ASSERT_FALSE(HasFailure()) << "seed " << seed;
    random_x_wins += ma_envs_navigation_episode(env, seed, random_x, partner) ? 1 : 0;
    random_y_wins += ma_envs_navigation_episode(env, seed, random_y, partner) ? 1 : 0;
    both_random_wins += ma_envs_navigation_episode(env, seed, both_random, partner) ? 1 : 0;
    ASSERT_FALSE(HasFailure()) << "seed " << seed;
  }
  EXPECT_EQ(optimal_wins, kEpisodes);
  EXPECT_LT(random_x_wins, kEpisodes / 2);
  EXPECT_LT(random_y_wins, kEpisodes / 2);
  EXPECT_LT(both_random_wins, std::min(random_x_wins, random_y_wins));
}

TEST(SplitAxisNavigation, ClipsMovesAtTheEdgesAndRefusesBadOptions) {
  SplitAxisNavigation env(2, 5);
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  // Pushing outwards at the edges leaves the marker where it is.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env.reset(out, seed);
    if (env.marker() == env.target()) continue;
    const std::array<int64_t, 2> before = env.marker();
    actions.clear();
    for (size_t i = 0; i < 2; ++i) actions.set(i, int64_t{before[i] == 0 ? 0 : 2});
    env.step(actions, out);
    EXPECT_EQ(env.marker(), before);
    EXPECT_EQ(out.rewards[0], -0.01);
    EXPECT_EQ(out.rewards[1], -0.01);
  }
  EXPECT_ERROR_CONTAINS(make_multi_agent("SplitAxisNavigation-v0", {{"size", 1}}),
                        "option 'size' must be an integer from 2 to 1000, got 1");
  EXPECT_ERROR_CONTAINS(make_multi_agent("SplitAxisNavigation-v0", {{"max_steps", 0}}),
                        "option 'max_steps' must be an integer from 1 to 1000000, got 0");
  EXPECT_ERROR_CONTAINS(make_multi_agent("SplitAxisNavigation-v0", {{"steps", 5}}),
                        "unknown option(s) for 'SplitAxisNavigation-v0': 'steps'");
}

}  // namespace
}  // namespace cairn
