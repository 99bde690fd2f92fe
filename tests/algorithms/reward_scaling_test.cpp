// RewardScaling: PPO's reward normalisation, one discounted return per stream.
#include "cairn/algorithms/reward_scaling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "error_matchers.h"

namespace cairn {
namespace {

std::vector<double> returns_of(const RewardScaling& s) {
  TensorDict d;
  s.save(d, "r/");
  return d.at("r/discounted_returns").to_vector<double>();
}

TEST(RewardScaling, OnlyActingStreamsMoveAndEndedOnesRestart) {
  RewardScaling s(3, 0.5, 10.0);
  const std::vector<uint8_t> none(3, 0);
  std::vector<float> out(3, -7.0F);
  s.scale(std::vector<double>{1, 2, 4}, none, none, {}, out);
  EXPECT_EQ(returns_of(s), (std::vector<double>{1, 2, 4}));
  // Stream 1 does not act: its reward and end are ignored, its output left as it was.
  out[1] = -7.0F;
  const std::vector<uint8_t> acting = {1, 0, 1}, ended = {1, 1, 0};
  s.scale(std::vector<double>{1, 100, 4}, ended, none, acting, out);
  EXPECT_EQ(out[1], -7.0F);
  EXPECT_EQ(returns_of(s), (std::vector<double>{0, 2, 6}));  // stream 0 ended: restarts
  // A truncation ends a stream's return too.
  s.scale(std::vector<double>{3, 1, 1}, none, std::vector<uint8_t>{0, 0, 1}, {}, out);
  EXPECT_EQ(returns_of(s), (std::vector<double>{3, 2, 0}));
  // No stream acting: nothing moves.
  s.scale(std::vector<double>{5, 5, 5}, none, none, none, out);
  EXPECT_EQ(returns_of(s), (std::vector<double>{3, 2, 0}));
}

TEST(RewardScaling, RewardsAreDividedByTheReturnsStdAndClipped) {
  RewardScaling s(2, 0.99, 1.5);
  const std::vector<uint8_t> none(2, 0);
  std::vector<float> out(2);
  double std_dev = 0;
  for (int t = 0; t < 50; ++t) {
    s.scale(std::vector<double>{1.0, -3.0}, none, none, {}, out);
    TensorDict d;
    s.save(d, "r/");
    std_dev = std::sqrt(d.at("r/var").to_vector<double>()[0] + 1e-8);
    EXPECT_EQ(out[0], std::min(1.5F, 1.0F / static_cast<float>(std_dev))) << t;
    EXPECT_EQ(out[1], std::max(-1.5F, -3.0F / static_cast<float>(std_dev))) << t;
  }
  EXPECT_GT(std_dev, 1.0);  // the returns spread: the rewards were scaled down
}

TEST(RewardScaling, RestoredScalingContinuesBitForBit) {
  RewardScaling a(2, 0.9, 10.0);
  const std::vector<uint8_t> none(2, 0), ended = {0, 1};
  std::vector<float> out_a(2), out_b(2);
  for (int t = 0; t < 5; ++t) {
    a.scale(std::vector<double>{0.5 * t, -1.0}, none, t == 3 ? ended : none, {}, out_a);
  }
  TensorDict state;
  a.save(state, "reward_normalizer/");
  RewardScaling b(2, 0.9, 10.0);
  b.restore(state, "reward_normalizer/");
  for (int t = 0; t < 5; ++t) {
    const std::vector<double> r = {std::sin(t), 2.0 * t};
    a.scale(r, none, none, {}, out_a);
    b.scale(r, none, none, {}, out_b);
    EXPECT_EQ(out_a, out_b) << t;
  }
  // A state of another number of streams, or a missing tensor, is named.
  RewardScaling three(3, 0.9, 10.0);
  EXPECT_ERROR_CONTAINS(three.restore(state, "reward_normalizer/"),
                        "reward_normalizer/discounted_returns");
  EXPECT_ERROR_CONTAINS(RewardScaling::check(state, "other/", 2), "other/mean");
  EXPECT_ERROR_CONTAINS(RewardScaling(0, 0.9, 10.0), "no streams");
}

}  // namespace
}  // namespace cairn
