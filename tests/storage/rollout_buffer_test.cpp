#include "cairn/storage/rollout_buffer.h"

#include <gtest/gtest.h>

#include <numeric>

#include "error_matchers.h"

namespace cairn {
namespace {

TEST(RolloutBuffer, StepsAreTimeMajorRowsOfEveryEnvironment) {
  RolloutBuffer buf(
      {.num_steps = 3, .num_envs = 2, .feature_size = 4, .action_dim = 1, .discrete = true});
  EXPECT_EQ(buf.size(), 6u);
  EXPECT_EQ(buf.features(0).size(), 8u);
  EXPECT_EQ(buf.action_indices(2).size(), 2u);
  EXPECT_TRUE(buf.raw_actions(0).empty());  // discrete: indices only
  for (size_t t = 0; t < 3; ++t) {
    for (size_t e = 0; e < 2; ++e) {
      buf.values(t)[e] = static_cast<float>(10 * t + e);
      buf.rewards(t)[e] = static_cast<float>(t);
      buf.terminated(t)[e] = t == 1 && e == 0;
    }
  }
  // Row t * num_envs + e of the whole batch.
  EXPECT_EQ(buf.values()[2 * 2 + 1], 21.0f);
  EXPECT_EQ(buf.rewards()[1 * 2 + 0], 1.0f);
  EXPECT_EQ(buf.terminated()[2], 1);
  EXPECT_EQ(buf.terminated()[3], 0);
  // Final values start at zero (read only where an episode was truncated).
  for (float v : buf.final_values()) EXPECT_EQ(v, 0.0f);
}

TEST(RolloutBuffer, GatherCopiesTheRowsInOrder) {
  RolloutBuffer buf(
      {.num_steps = 2, .num_envs = 3, .feature_size = 2, .action_dim = 2, .discrete = false});
  EXPECT_TRUE(buf.action_indices(0).empty());
  for (size_t t = 0; t < 2; ++t) {
    std::span<float> f = buf.features(t), a = buf.raw_actions(t);
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(100 * t + i);
    for (size_t i = 0; i < a.size(); ++i) a[i] = -static_cast<float>(100 * t + i);
    for (size_t e = 0; e < 3; ++e) {
      buf.log_probs(t)[e] = static_cast<float>(t * 3 + e) * 0.5f;
      buf.values(t)[e] = static_cast<float>(t * 3 + e);
    }
  }
  std::iota(buf.advantages().begin(), buf.advantages().end(), 1.0f);
  std::iota(buf.returns().begin(), buf.returns().end(), 7.0f);
  RolloutMinibatch mb(buf.sizes(), 3);
  const size_t rows[] = {4, 0, 2};
  buf.gather(rows, mb);
  EXPECT_EQ(mb.rows, 3u);
  // Row 4 is step 1, environment 1: features 100 + 2, 100 + 3.
  EXPECT_EQ(mb.features[0], 102.0f);
  EXPECT_EQ(mb.features[1], 103.0f);
  EXPECT_EQ(mb.raw_actions[0], -102.0f);
  EXPECT_EQ(mb.features[2], 0.0f);  // row 0
  EXPECT_EQ(mb.features[4], 4.0f);  // row 2: step 0, environment 2
  EXPECT_EQ(mb.log_probs[0], 2.0f);
  EXPECT_EQ(mb.values[2], 2.0f);
  EXPECT_EQ(mb.advantages[0], 5.0f);
  EXPECT_EQ(mb.returns[1], 7.0f);
}

TEST(RolloutBuffer, RefusesEmptySizesAndOversizedGathers) {
  EXPECT_ERROR_CONTAINS(
      RolloutBuffer(
          {.num_steps = 0, .num_envs = 1, .feature_size = 1, .action_dim = 1, .discrete = true}),
      "must be positive");
  RolloutBuffer buf(
      {.num_steps = 2, .num_envs = 1, .feature_size = 1, .action_dim = 1, .discrete = true});
  RolloutMinibatch small(buf.sizes(), 1);
  const size_t two[] = {0, 1};
  EXPECT_ERROR_CONTAINS(buf.gather(two, small), "holds 1 rows, asked for 2");
  RolloutMinibatch mb(buf.sizes(), 2);
  const size_t bad[] = {0, 2};
  EXPECT_ERROR_CONTAINS(buf.gather(bad, mb), "row 2 of 2");
}

}  // namespace
}  // namespace cairn
