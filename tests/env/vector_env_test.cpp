#include "cairn/env/vector_env.h"

#include <gtest/gtest.h>

#include "cairn/env/env_registry.h"
#include "error_matchers.h"
#include "simple_corridor.h"

namespace cairn {
namespace {

// Discrete random-walk environment whose start position and rewards come from
// np_random(), so seeding and auto-reset behaviour are visible.
class RandomWalk : public Env {
 public:
  RandomWalk() : Env(Space::box(-100.0f, 100.0f, {2}), Space::discrete(3, -1)) {}
  bool has_state() const override { return true; }
  std::vector<double> get_state() const override { return {pos_, static_cast<double>(t_)}; }

 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override {
    pos_ = np_random().uniform(-1.0, 1.0);
    t_ = 0;
    write(obs);
  }
  StepResult do_step(ActionRef a, std::span<float> obs) override {
    pos_ += static_cast<double>(a.discrete[0]) + np_random().uniform(-0.5, 0.5);
    ++t_;
    write(obs);
    return {pos_, std::abs(pos_) > 3.0, t_ >= 8};
  }

 private:
  void write(std::span<float> obs) const {
    obs[0] = static_cast<float>(pos_);
    obs[1] = static_cast<float>(t_);
  }
  double pos_ = 0;
  int t_ = 0;
};

std::vector<std::unique_ptr<Env>> walks(size_t n) {
  std::vector<std::unique_ptr<Env>> envs;
  for (size_t i = 0; i < n; ++i) envs.push_back(std::make_unique<RandomWalk>());
  return envs;
}

TEST(VectorEnv, SeedsEnvironmentIWithSeedPlusI) {
  VectorEnv venv(walks(3));
  venv.reset(10);
  for (size_t i = 0; i < 3; ++i) {
    RandomWalk single;
    const std::vector<float> obs = single.reset(uint64_t{10 + i});
    EXPECT_EQ(venv.observations()[i * 2], obs[0]) << i;
  }
}

TEST(VectorEnv, MatchesSingleEnvironmentsIncludingSameStepAutoReset) {
  const size_t n = 4;
  VectorEnv venv(walks(n));
  std::vector<RandomWalk> singles(n);
  std::vector<std::vector<float>> obs(n);
  venv.reset(3);
  for (size_t i = 0; i < n; ++i) obs[i] = singles[i].reset(uint64_t{3 + i});
  Rng rng(1);
  std::vector<int64_t> actions(n);
  size_t episodes = 0;
  for (int t = 0; t < 200; ++t) {
    for (auto& a : actions) a = static_cast<int64_t>(rng.below(3)) - 1;
    venv.step(std::span<const int64_t>(actions));
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      const Transition tr = singles[i].step(actions[i]);
      ASSERT_EQ(venv.rewards()[i], tr.reward);
      ASSERT_EQ(venv.terminated()[i], tr.terminated);
      ASSERT_EQ(venv.truncated()[i], tr.truncated);
      if (tr.terminated || tr.truncated) {
        // The final observation is kept; observations() already holds the new episode's.
        ASSERT_EQ(venv.final_observations()[i * 2], tr.observation[0]);
        obs[i] = singles[i].reset();
        ASSERT_EQ(venv.finished_episodes()[k].env_index, i);
        ++k;
        ++episodes;
      } else {
        obs[i] = tr.observation;
      }
      ASSERT_EQ(venv.observations()[i * 2], obs[i][0]);
      ASSERT_EQ(venv.observations()[i * 2 + 1], obs[i][1]);
    }
    ASSERT_EQ(venv.finished_episodes().size(), k);
  }
  EXPECT_GT(episodes, 50u);
}

TEST(VectorEnv, EpisodeStatisticsSumRewardsAndCountSteps) {
  corridor::register_simple_corridor();
  VectorEnv venv("SimpleCorridor-v0", 2);
  venv.reset(0);
  const int64_t right[] = {1, 1};
  for (int t = 0; t < 4; ++t) {
    EXPECT_TRUE(venv.finished_episodes().empty());
    venv.step(std::span<const int64_t>(right));
  }
  venv.step(std::span<const int64_t>(right));
  ASSERT_EQ(venv.finished_episodes().size(), 2u);
  for (const EpisodeRecord& e : venv.finished_episodes()) {
    EXPECT_EQ(e.length, 5);
    EXPECT_NEAR(e.episode_return, 0.6, 1e-12);
    EXPECT_FALSE(e.truncated);
  }
  EXPECT_EQ(venv.current_length(0), 0);
  EXPECT_EQ(venv.observations()[0], 0.0f);        // reset in the same step
  EXPECT_EQ(venv.final_observations()[0], 5.0f);  // the end of the corridor
}

TEST(VectorEnv, ThreadCountDoesNotChangeResults) {
  auto run = [](size_t threads) {
    VectorEnv venv(walks(7), threads);
    EXPECT_EQ(venv.num_threads(), threads);
    venv.reset(42);
    Rng rng(9);
    std::vector<int64_t> actions(7);
    std::vector<float> trace;
    for (int t = 0; t < 300; ++t) {
      for (auto& a : actions) a = static_cast<int64_t>(rng.below(3)) - 1;
      venv.step(std::span<const int64_t>(actions));
      trace.insert(trace.end(), venv.observations().begin(), venv.observations().end());
      for (double r : venv.rewards()) trace.push_back(static_cast<float>(r));
    }
    return trace;
  };
  const std::vector<float> one = run(1);
  EXPECT_EQ(run(2), one);
  EXPECT_EQ(run(3), one);
}

TEST(VectorEnv, ErrorsAreClearAndPropagateFromWorkers) {
  VectorEnv venv(walks(4), 2);
  const int64_t ok[] = {0, 0, 0, 0};
  EXPECT_ERROR_CONTAINS(venv.step(std::span<const int64_t>(ok)), "before reset()");
  venv.reset(0);
  const int64_t bad_last[] = {0, 0, 0, 5};  // environment 3 is stepped by the worker thread
  EXPECT_ERROR_CONTAINS(venv.step(std::span<const int64_t>(bad_last)), "element 0 = 5 is outside");
  const int64_t short_actions[] = {0, 0};
  EXPECT_ERROR_CONTAINS(venv.step(std::span<const int64_t>(short_actions)),
                        "2 actions given; 4 environments need 4");
  const float floats[] = {0, 0, 0, 0};
  EXPECT_ERROR_CONTAINS(venv.step(std::span<const float>(floats)), "float actions given");
  EXPECT_ERROR_CONTAINS(VectorEnv(walks(0)), "no environments");
  EXPECT_ERROR_CONTAINS(VectorEnv(walks(2), 0), "num_threads");
}

TEST(VectorEnv, RefusesMixedSpaces) {
  std::vector<std::unique_ptr<Env>> envs;
  envs.push_back(std::make_unique<corridor::SimpleCorridor>(5));
  envs.push_back(std::make_unique<corridor::SimpleCorridor>(6));
  EXPECT_ERROR_CONTAINS(VectorEnv(std::move(envs)), "different spaces");
}

}  // namespace
}  // namespace cairn
