// VectorEnv catches NaN and infinite rewards and observations where they arrive.
#include <gtest/gtest.h>

#include <cmath>

#include "cairn/env/vector_env.h"
#include "env/faulty_env.h"
#include "error_matchers.h"

namespace cairn {
namespace {

using testing_env::register_faulty_env;

VectorEnv faulty(const std::string& fault, int64_t step, int64_t seed = -1) {
  register_faulty_env();
  return VectorEnv("FaultyEnv-v0", 3,
                   {{"fault", fault}, {"fault_step", step}, {"fault_seed", seed}});
}

void step_n(VectorEnv& v, int n) {
  const std::vector<int64_t> actions(v.num_envs(), 1);
  for (int i = 0; i < n; ++i) v.step(std::span<const int64_t>(actions));
}

TEST(VectorEnvNonFinite, NaNRewardNamesEnvironmentStepAndValue) {
  VectorEnv v = faulty("reward_nan", 4, /*seed=*/11);
  v.reset(10);  // environment 1 is reset with seed 11
  step_n(v, 3);
  EXPECT_ERROR_CONTAINS(step_n(v, 1),
                        "environment 1 (FaultyEnv-v0) returned a non-finite reward (nan) at step "
                        "4 of its episode");
}

TEST(VectorEnvNonFinite, InfiniteRewardAndObservationsAreRefused) {
  VectorEnv r = faulty("reward_inf", 2);
  r.reset(0);
  EXPECT_ERROR_CONTAINS(step_n(r, 2), "non-finite reward (-inf) at step 2");
  VectorEnv o = faulty("obs_nan", 1);
  o.reset(0);
  EXPECT_ERROR_CONTAINS(step_n(o, 1),
                        "environment 0 (FaultyEnv-v0) returned a non-finite observation at step 1 "
                        "of its episode: element 1 is nan");
  VectorEnv i = faulty("obs_inf", 1);
  i.reset(0);
  EXPECT_ERROR_CONTAINS(step_n(i, 1), "element 1 is inf");
}

TEST(VectorEnvNonFinite, SkipDropsTheTransitionAndTheEpisode) {
  VectorEnv v = faulty("reward_nan", 3, /*seed=*/6);
  v.set_non_finite_handling(NonFiniteHandling::kSkip);
  v.reset(5);  // environment 1 faults at its third step
  step_n(v, 2);
  const std::vector<float> before(v.observations().begin(), v.observations().end());
  step_n(v, 1);
  EXPECT_EQ(v.skipped()[0], 0);
  EXPECT_EQ(v.skipped()[1], 1);
  EXPECT_EQ(v.rewards()[1], 0.0);
  EXPECT_EQ(v.truncated()[1], 1);
  EXPECT_EQ(v.terminated()[1], 0);
  // The final observation is the last finite one; the row holds a fresh episode's start.
  EXPECT_EQ(v.final_observations()[2], before[2]);
  EXPECT_EQ(v.final_observations()[3], before[3]);
  EXPECT_EQ(v.observations()[2], 0.5f);
  EXPECT_EQ(v.current_length(1), 0);
  EXPECT_TRUE(v.finished_episodes().empty());
  // Environment 1's next episode is recorded normally, and its return is finite.
  step_n(v, 10);
  EXPECT_EQ(v.skipped()[1], 0);
  bool seen = false;
  for (int i = 0; i < 10 && !seen; ++i) {
    for (const EpisodeRecord& e : v.finished_episodes()) {
      if (e.env_index == 1) seen = true;
      EXPECT_TRUE(std::isfinite(e.episode_return));
    }
    if (!seen) step_n(v, 1);
  }
  EXPECT_TRUE(seen);
}

TEST(VectorEnvNonFinite, AbsurdNumberOfEnvironmentsIsRefusedBeforeAllocating) {
  EXPECT_ERROR_CONTAINS(VectorEnv("CartPole-v1", size_t{1} << 40),
                        "num_envs is 1099511627776, more than the limit of 1048576");
}

}  // namespace
}  // namespace cairn
