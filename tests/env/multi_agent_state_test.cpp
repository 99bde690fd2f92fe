// MultiAgentVectorEnv::save_state / restore_state: a vector environment rebuilt from the same
// id and restored steps exactly as the saved one goes on (results, observations, episode ends,
// auto-resets and statistics, bit for bit), for IndependentAgents (MultiAgentCartPole-v0),
// RockPaperScissors-v0 and SplitAxisNavigation-v0; and the refusals: a missing tensor or one
// that does not fit is named, saving before reset() or without state is refused.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"
#include "cairn/env/independent_agents.h"
#include "cairn/env/multi_agent_env.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/env/multi_agent_vector_env.h"
#include "cairn/error.h"
#include "cairn/io/safetensors.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// Sets a random action for every live agent of every copy (integer spaces).
void ma_state_random_actions(MultiAgentVectorEnv& vec, Rng& rng,
                             std::vector<MultiAgentActions>& actions) {
  for (size_t k = 0; k < vec.num_envs(); ++k) {
    MultiAgentEnv& env = vec.env(k);
    actions[k].clear();
    for (const size_t i : env.agents()) {
      int64_t a = 0;
      env.action_space(i).sample(rng, std::span<int64_t>(&a, 1));
      actions[k].set(i, a);
    }
  }
}

void ma_state_push(std::vector<uint64_t>& trace, double v) {
  trace.push_back(std::bit_cast<uint64_t>(v));
}

// Everything a step reports, as bits: step_result (the rows it reports), observations(k) (all
// of it), episode_ended and finished_episodes.
void ma_state_record(const MultiAgentVectorEnv& vec, std::vector<uint64_t>& trace) {
  for (size_t k = 0; k < vec.num_envs(); ++k) {
    const MultiAgentStep& r = vec.step_result(k);
    const MultiAgentStep& next = vec.observations(k);
    for (size_t i = 0; i < r.acted.size(); ++i) {
      trace.push_back(static_cast<uint64_t>(r.acted[i] | (r.terminated[i] << 1) |
                                            (r.truncated[i] << 2) | (r.has_observation[i] << 3) |
                                            (next.has_observation[i] << 4)));
      ma_state_push(trace, r.rewards[i]);
      if (r.has_observation[i] != 0) {
        for (const float v : r.observations[i]) trace.push_back(std::bit_cast<uint32_t>(v));
      }
      for (const float v : next.observations[i]) trace.push_back(std::bit_cast<uint32_t>(v));
    }
    trace.push_back(vec.episode_ended(k) ? 1 : 0);
  }
  for (const MultiAgentEpisodeRecord& e : vec.finished_episodes()) {
    trace.push_back(e.env_index);
    for (const double v : e.agent_returns) ma_state_push(trace, v);
    for (const int64_t v : e.agent_lengths) trace.push_back(static_cast<uint64_t>(v));
    trace.push_back(static_cast<uint64_t>(e.length));
  }
}

struct MaStateRun {
  std::vector<uint64_t> trace;
  size_t episodes = 0;
};

// Steps `vec` `steps` times with actions from `rng`, recording everything.
MaStateRun ma_state_continue(MultiAgentVectorEnv& vec, Rng rng, int steps) {
  std::vector<MultiAgentActions> actions;
  for (size_t k = 0; k < vec.num_envs(); ++k) actions.push_back(vec.env(k).make_actions());
  MaStateRun run;
  for (int t = 0; t < steps; ++t) {
    ma_state_random_actions(vec, rng, actions);
    vec.step(actions);
    ma_state_record(vec, run.trace);
    run.episodes += vec.finished_episodes().size();
  }
  return run;
}

using MaStateFactory = std::function<std::unique_ptr<MultiAgentVectorEnv>()>;

MaStateFactory ma_state_by_id(const std::string& id, const nlohmann::json& options) {
  return [id, options] { return std::make_unique<MultiAgentVectorEnv>(id, 3, options); };
}

// Runs a vector environment from `make_vec` for at least `before` steps (and on until `ready`
// holds), saves, goes on for `after` steps; another one from `make_vec` (fresh, then one that
// was used before) restored from the saved tensors, through a safetensors file's bytes, must
// report the same bits. Returns the episodes that ended after the save.
size_t ma_state_check_resume(const MaStateFactory& make_vec, int before, int after,
                             const std::function<bool(MultiAgentVectorEnv&)>& ready = nullptr) {
  std::unique_ptr<MultiAgentVectorEnv> original = make_vec();
  MultiAgentVectorEnv& vec = *original;
  const size_t copies = vec.num_envs();
  EXPECT_TRUE(vec.can_save_state());
  vec.reset(17);
  Rng rng(23);
  std::vector<MultiAgentActions> actions;
  for (size_t k = 0; k < copies; ++k) actions.push_back(vec.env(k).make_actions());
  int t = 0;
  for (; t < before || (ready && !ready(vec) && t < 5000); ++t) {
    ma_state_random_actions(vec, rng, actions);
    vec.step(actions);
  }
  if (ready) {
    EXPECT_TRUE(ready(vec)) << "the condition to save never held";
  }
  TensorDict saved;
  vec.save_state(saved, "envs/");
  const std::vector<std::byte> file = serialize_safetensors(saved);

  const MaStateRun expected = ma_state_continue(vec, rng, after);
  EXPECT_GT(expected.episodes, 0u) << "no episode ended after the save";

  for (const bool used : {false, true}) {
    SCOPED_TRACE(used ? "restored into a used vector environment" : "restored into a fresh one");
    std::unique_ptr<MultiAgentVectorEnv> rebuilt = make_vec();
    MultiAgentVectorEnv& restored = *rebuilt;
    if (used) {
      restored.reset(999);
      ma_state_continue(restored, Rng(1), 5);
    }
    restored.restore_state(parse_safetensors(file, "saved.safetensors"), "envs/");
    for (size_t k = 0; k < copies; ++k) EXPECT_FALSE(restored.episode_ended(k));
    EXPECT_TRUE(restored.finished_episodes().empty());
    // Saved again, the restored environment gives the tensors it was restored from.
    TensorDict again;
    restored.save_state(again, "envs/");
    EXPECT_TRUE(again == saved);
    const MaStateRun got = ma_state_continue(restored, rng, after);
    EXPECT_EQ(got.trace.size(), expected.trace.size());
    EXPECT_TRUE(got.trace == expected.trace) << "the restored run differs";
  }
  return expected.episodes;
}

// An agent whose part ended while its copy goes on (its CartPole inactive, maybe truncated).
bool ma_state_some_agent_left(MultiAgentVectorEnv& vec) {
  for (size_t k = 0; k < vec.num_envs(); ++k) {
    const MultiAgentEnv& env = vec.env(k);
    if (env.agents().size() < env.num_possible_agents()) return true;
  }
  return false;
}

}  // namespace

TEST(MultiAgentVectorEnvState, MultiAgentCartPoleResumesBitIdentically) {
  // Saved while some agent has left its copy, then across episode ends and auto-resets.
  EXPECT_GT(ma_state_check_resume(ma_state_by_id("MultiAgentCartPole-v0", {{"num_agents", 3}}), 12,
                                  300, ma_state_some_agent_left),
            3u);
}

TEST(MultiAgentVectorEnvState, MultiAgentCartPoleSavedAtTheStartResumesBitIdentically) {
  EXPECT_GT(
      ma_state_check_resume(ma_state_by_id("MultiAgentCartPole-v0", {{"num_agents", 2}}), 0, 200),
      3u);
}

TEST(MultiAgentVectorEnvState, IndependentAgentsWithTimeLimitsAndWithoutResume) {
  // Agent 0's CartPole is truncated after 6 steps (its TimeLimit at its limit when saved),
  // agent 1's after 40, agent 2's has no TimeLimit.
  const MaStateFactory make_vec = [] {
    std::vector<std::unique_ptr<MultiAgentEnv>> copies;
    for (int k = 0; k < 3; ++k) {
      std::vector<std::unique_ptr<Env>> envs;
      envs.push_back(make("CartPole-v1", {{"max_episode_steps", 6}}));
      envs.push_back(make("CartPole-v1", {{"max_episode_steps", 40}}));
      envs.push_back(make("CartPole-v1", {{"max_episode_steps", 0}}));
      copies.push_back(std::make_unique<IndependentAgents>(std::move(envs)));
    }
    return std::make_unique<MultiAgentVectorEnv>(std::move(copies));
  };
  const auto agent_0_truncated = [](MultiAgentVectorEnv& vec) {
    for (size_t k = 0; k < vec.num_envs(); ++k) {
      if (!vec.env(k).is_live(0) && vec.step_result(k).truncated[0] != 0) return true;
    }
    return false;
  };
  EXPECT_GT(ma_state_check_resume(make_vec, 6, 200, agent_0_truncated), 3u);
}

TEST(MultiAgentVectorEnvState, RockPaperScissorsResumesBitIdentically) {
  EXPECT_GT(ma_state_check_resume(ma_state_by_id("RockPaperScissors-v0", {{"rounds", 7}}), 11, 40),
            3u);
}

TEST(MultiAgentVectorEnvState, SplitAxisNavigationResumesBitIdentically) {
  EXPECT_GT(ma_state_check_resume(
                ma_state_by_id("SplitAxisNavigation-v0", {{"size", 5}, {"max_steps", 9}}), 6, 80),
            3u);
}

TEST(MultiAgentVectorEnvState, TensorNamesAndShapes) {
  MultiAgentVectorEnv vec("SplitAxisNavigation-v0", 2);
  vec.reset(3);
  TensorDict saved;
  vec.save_state(saved, "p/");
  const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
      {"p/np_random", {2, 6}},
      {"p/live", {2, 2}},
      {"p/observations", {2, 2}},
      {"p/episode_return", {2, 2}},
      {"p/agent_episode_length", {2, 2}},
      {"p/episode_length", {2}},
      {"p/copy_0/options", {2}},
      {"p/copy_0/marker", {2}},
      {"p/copy_0/target", {2}},
      {"p/copy_0/steps", {1}},
      {"p/copy_1/steps", {1}}};
  for (const auto& [name, shape] : expected) {
    ASSERT_TRUE(saved.contains(name)) << name;
    EXPECT_EQ(saved.at(name).shape(), shape) << name;
  }
  EXPECT_EQ(saved.at("p/np_random").dtype(), DType::u64);
  EXPECT_EQ(saved.at("p/live").dtype(), DType::u8);
  EXPECT_EQ(saved.size(), 6u + 2u * 4u);  // the vector environment's and each copy's four

  MultiAgentVectorEnv cartpoles("MultiAgentCartPole-v0", 2, {{"num_agents", 3}});
  cartpoles.reset(3);
  TensorDict c;
  cartpoles.save_state(c, "");
  EXPECT_EQ(c.at("copy_1/physical_state").shape(), std::vector<int64_t>{12});
  EXPECT_EQ(c.at("copy_1/state_sizes").shape(), std::vector<int64_t>{3});
  EXPECT_EQ(c.at("copy_1/np_random").shape(), (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(c.at("copy_1/np_random").dtype(), DType::u64);
  EXPECT_EQ(c.at("copy_1/elapsed_steps").to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(c.size(), 6u + 2u * 4u);  // the vector environment's and each copy's four
}

TEST(MultiAgentVectorEnvState, SaveBeforeResetIsRefused) {
  MultiAgentVectorEnv vec("RockPaperScissors-v0", 2);
  TensorDict out;
  testing::expect_error_containing_all([&] { vec.save_state(out, "envs/"); },
                                       {"reset() was never called"});
}

// A multi-agent environment that keeps no state it can save (the default).
class MaStateNoStateEnv final : public MultiAgentEnv {
 public:
  MaStateNoStateEnv() : MultiAgentEnv({"a"}, {Space::box(0.0f, 1.0f, {1})}, {Space::discrete(2)}) {}

 protected:
  void do_reset(std::optional<uint64_t>, MultiAgentStep& out) override {
    out.observations[0][0] = 0.0f;
    out.has_observation[0] = 1;
    set_live(0, true);
  }
  void do_step(const MultiAgentActions&, MultiAgentStep& out) override {
    out.has_observation[0] = 1;
    out.terminated[0] = 1;
  }
};

TEST(MultiAgentVectorEnvState, EnvironmentWithoutStateIsRefused) {
  std::vector<std::unique_ptr<MultiAgentEnv>> envs;
  envs.push_back(std::make_unique<MaStateNoStateEnv>());
  MultiAgentVectorEnv vec(std::move(envs));
  EXPECT_FALSE(vec.can_save_state());
  vec.reset(0);
  TensorDict out;
  testing::expect_error_containing_all([&] { vec.save_state(out, ""); },
                                       {"does not expose its state"});
  MaStateNoStateEnv env;
  EXPECT_FALSE(env.has_state());
  testing::expect_error_containing_all([&] { env.restore_state(out, ""); },
                                       {"does not expose its state"});
}

TensorDict ma_state_saved(const std::string& id, const nlohmann::json& options) {
  MultiAgentVectorEnv vec(id, 2, options);
  vec.reset(5);
  ma_state_continue(vec, Rng(2), 4);
  TensorDict saved("ckpt.safetensors");
  vec.save_state(saved, "envs/");
  return saved;
}

TEST(MultiAgentVectorEnvState, MissingTensorsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"RockPaperScissors-v0", "envs/live"},
      {"RockPaperScissors-v0", "envs/np_random"},
      {"RockPaperScissors-v0", "envs/copy_1/rounds_played"},
      {"SplitAxisNavigation-v0", "envs/copy_0/marker"},
      {"MultiAgentCartPole-v0", "envs/copy_1/np_random"},
      {"MultiAgentCartPole-v0", "envs/copy_0/physical_state"},
      {"MultiAgentCartPole-v0", "envs/episode_length"}};
  for (const auto& [id, name] : cases) {
    TensorDict saved = ma_state_saved(id, nlohmann::json::object());
    ASSERT_TRUE(saved.erase(name)) << name;
    MultiAgentVectorEnv vec(id, 2);
    testing::expect_error_containing_all([&] { vec.restore_state(saved, "envs/"); },
                                         {"ckpt.safetensors", "'" + name + "'"});
    // A failed restore leaves nothing to step.
    std::vector<MultiAgentActions> actions;
    for (size_t k = 0; k < 2; ++k) actions.push_back(vec.env(k).make_actions());
    EXPECT_THROW(vec.step(actions), Error);
  }
}

TEST(MultiAgentVectorEnvState, TensorsThatDoNotFitAreNamed) {
  struct Case {
    std::string id, name;  // the environment and the tensor replaced
    Tensor tensor;
    std::string named, why;  // the tensor the error names, and why
  };
  const std::vector<int64_t> two = {0, 0};
  const std::vector<uint64_t> rng_words(2 * 5, 1);
  const std::vector<double> state(7, 0.0);
  const std::vector<uint8_t> bad_live = {1, 2, 1, 1};
  const std::vector<int64_t> rounds = {3};
  const std::vector<int64_t> off_grid = {0, 9};
  const std::vector<Case> cases = {
      {"RockPaperScissors-v0", "envs/np_random", Tensor::from_values<uint64_t>(rng_words, {2, 5}),
       "envs/np_random", "shape"},
      {"RockPaperScissors-v0", "envs/np_random", Tensor::i64(std::vector<int64_t>(12, 0), {2, 6}),
       "envs/np_random", "dtype"},
      {"RockPaperScissors-v0", "envs/live", Tensor::u8(bad_live, {2, 2}), "envs/live",
       "not 0 or 1"},
      {"RockPaperScissors-v0", "envs/observations", Tensor::f32(std::vector<float>(6), {2, 3}),
       "envs/observations", "shape"},
      {"RockPaperScissors-v0", "envs/copy_0/rounds", Tensor::i64(rounds, {1}), "envs/copy_0/rounds",
       "10 rounds"},
      {"SplitAxisNavigation-v0", "envs/copy_1/target", Tensor::i64(off_grid, {2}),
       "envs/copy_1/target", "grid"},
      {"SplitAxisNavigation-v0", "envs/copy_1/steps", Tensor::i64(two, {2}), "envs/copy_1/steps",
       "shape"},
      {"MultiAgentCartPole-v0", "envs/copy_0/physical_state", Tensor::f64(state, {7}),
       "envs/copy_0/physical_state", "shape"},
      // State sizes that do not add up to the saved states: the states no longer fit.
      {"MultiAgentCartPole-v0", "envs/copy_1/state_sizes", Tensor::i64(two, {2}),
       "envs/copy_1/physical_state", "shape"},
      {"MultiAgentCartPole-v0", "envs/copy_1/np_random",
       Tensor::from_values<uint64_t>(std::vector<uint64_t>(12, 2), {2, 6}), "envs/copy_1/np_random",
       "agent_0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id + " " + c.name);
    TensorDict saved = ma_state_saved(c.id, nlohmann::json::object());
    saved.insert_or_assign(c.name, c.tensor);
    MultiAgentVectorEnv vec(c.id, 2);
    testing::expect_error_containing_all([&] { vec.restore_state(saved, "envs/"); },
                                         {"ckpt.safetensors", "'" + c.named + "'", c.why});
  }
}

TEST(MultiAgentEnvState, RestoreLiveAgentsChecksItsFlagsAndKeepsTheProtocol) {
  std::unique_ptr<MultiAgentEnv> env = make_multi_agent("RockPaperScissors-v0");
  const std::vector<uint8_t> one = {1};
  const std::vector<uint8_t> bad = {1, 3};
  testing::expect_error_containing_all([&] { env->restore_live_agents(one); },
                                       {"1 flags for 2 agents"});
  testing::expect_error_containing_all([&] { env->restore_live_agents(bad); },
                                       {"player_1", "not 0 or 1"});
  MultiAgentStep out = env->make_step_buffers();
  MultiAgentActions actions = env->make_actions();
  const std::vector<uint8_t> only_first = {1, 0};
  env->restore_live_agents(only_first);
  EXPECT_TRUE(env->is_live(0));
  EXPECT_FALSE(env->is_live(1));
  actions.set(0, int64_t{0});
  actions.set(1, int64_t{0});
  testing::expect_error_containing_all([&] { env->step(actions, out); }, {"player_1", "not live"});
  const std::vector<uint8_t> none = {0, 0};
  env->restore_live_agents(none);
  testing::expect_error_containing_all([&] { env->step(actions, out); }, {"episode is over"});
}

}  // namespace cairn
