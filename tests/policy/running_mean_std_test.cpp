#include "cairn/policy/running_mean_std.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cairn/random/random.h"
#include "error_matchers.h"

namespace cairn {
namespace {

TEST(RunningMeanStd, BatchedUpdatesEqualThePooledStatistics) {
  const size_t dim = 3, n = 5000;
  const double nd = static_cast<double>(n);
  Rng rng(8);
  std::vector<float> data(n * dim);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<float>(rng.normal() * (1.0 + static_cast<double>(i % dim)) +
                                 5.0 * static_cast<double>(i % dim));
  }
  RunningMeanStd stats(dim);
  for (size_t start = 0; start < n; start += 250) {
    stats.update(std::span<const float>(data).subspan(start * dim, 250 * dim));
  }
  // Pooled with the prior (mean 0, var 1, pseudo-count 1e-4), computed in one pass.
  const double c0 = 1e-4;
  for (size_t k = 0; k < dim; ++k) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) sum += data[r * dim + k];
    const double m = sum / nd;
    double ss = 0;
    for (size_t r = 0; r < n; ++r) ss += (data[r * dim + k] - m) * (data[r * dim + k] - m);
    const double total = c0 + nd;
    const double mean = m * nd / total;
    const double var = (c0 * 1.0 + ss + m * m * c0 * nd / total) / total;
    EXPECT_NEAR(stats.mean()[k], mean, 1e-9 * std::max(1.0, std::abs(mean))) << k;
    EXPECT_NEAR(stats.var()[k], var, 1e-9 * var) << k;
  }
  EXPECT_DOUBLE_EQ(stats.count(), c0 + nd);
}

TEST(RunningMeanStd, NormalizesWithFloat32SubtractDivideClip) {
  RunningMeanStd stats(2, /*clip=*/3.0f);
  const double mean[] = {1.0, -2.0}, var[] = {4.0, 0.25};
  stats.set_state(mean, var, 10.0);
  const std::vector<float> in = {3.0f, -2.0f, 100.0f, -100.0f};
  std::vector<float> out(4);
  stats.normalize(in, out);
  const float s0 = static_cast<float>(std::sqrt(4.0 + 1e-8));
  EXPECT_EQ(out[0], (3.0f - 1.0f) / s0);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], 3.0f);   // clipped
  EXPECT_EQ(out[3], -3.0f);  // clipped
}

TEST(RunningMeanStd, RejectsBadInput) {
  EXPECT_ERROR_CONTAINS(RunningMeanStd(0), "dim must be positive");
  RunningMeanStd stats(2);
  const std::vector<float> three(3);
  EXPECT_ERROR_CONTAINS(stats.update(three), "not a positive multiple of dim 2");
  const double m[] = {0.0, NAN}, v[] = {1.0, 1.0}, neg[] = {1.0, -1.0}, ok[] = {0.0, 0.0};
  EXPECT_ERROR_CONTAINS(stats.set_state(m, v, 1.0), "element 1");
  EXPECT_ERROR_CONTAINS(stats.set_state(ok, neg, 1.0), "var non-negative");
  EXPECT_ERROR_CONTAINS(stats.set_state(ok, v, 0.0), "count must be positive");
}

}  // namespace
}  // namespace cairn
