#include "cairn/random/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cairn/error.h"

namespace cairn {
namespace {

// Reference values from NumPy 1.24.2: tests/reference/record_numpy_rng.py.
TEST(Rng, MatchesNumpyPcg64RawOutput) {
  Rng r(0);
  EXPECT_EQ(r.next_u64(), 11749869230777074271ULL);
  EXPECT_EQ(r.next_u64(), 4976686463289251617ULL);
  EXPECT_EQ(r.next_u64(), 755828109848996024ULL);
  Rng big(123456789012345ULL);  // two 32-bit entropy words
  EXPECT_EQ(big.next_u64(), 9776902893865078502ULL);
  EXPECT_EQ(big.next_u64(), 819811936507288463ULL);
}

TEST(Rng, UniformMatchesNumpyGeneratorUniform) {
  Rng r(0);
  const double expected[] = {0.013696168732145436, -0.02302132862361297, -0.045902647606380534,
                             -0.04834723644714709};
  for (double e : expected) EXPECT_EQ(r.uniform(-0.05, 0.05), e);
}

TEST(Rng, StreamsMatchNumpySpawn) {
  const uint64_t expected[] = {14717904226557406096ULL, 8865173266238536338ULL,
                               11659158256815307285ULL};
  for (uint64_t k = 0; k < 3; ++k) EXPECT_EQ(Rng::stream(7, k).next_u64(), expected[k]) << k;
  const uint32_t key[] = {5};
  EXPECT_EQ(SeedSequence(7, key).generate_state_u32(4),
            (std::vector<uint32_t>{1370054118u, 166311599u, 2567328131u, 966056978u}));
}

TEST(Rng, StateRoundTripsExactlyIncludingCachedNormal) {
  Rng r(42);
  r.normal();  // leaves a cached spare
  const RngState saved = r.state();
  ASSERT_EQ(saved.has_spare_normal, 1u);
  std::vector<double> a;
  for (int i = 0; i < 10; ++i) a.push_back(r.normal() + r.uniform());
  Rng restored(999);
  restored.set_state(saved);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(restored.normal() + restored.uniform(), a[i]);
}

TEST(Rng, SetStateRejectsEvenIncrement) {
  RngState s = Rng(1).state();
  s.inc_lo &= ~1ULL;
  Rng r;
  EXPECT_THROW(r.set_state(s), Error);
}

TEST(Rng, DifferentSeedsAndStreamsDiffer) {
  EXPECT_NE(Rng(1).next_u64(), Rng(2).next_u64());
  EXPECT_NE(Rng::stream(1, 0).next_u64(), Rng::stream(1, 1).next_u64());
  EXPECT_NE(Rng::stream(1, 0).next_u64(), Rng(1).next_u64());
}

TEST(Rng, BelowIsUniformAndInRange) {
  Rng r(3);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const uint64_t v = r.below(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_NEAR(c, n / 7, 5 * std::sqrt(n / 7.0));
}

TEST(Rng, NormalHasUnitMomentsAndFloatIsInUnitInterval) {
  Rng r(5);
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    sum += x;
    sum_sq += x * x;
    const float f = r.uniform_float();
    ASSERT_GE(f, 0.0f);
    ASSERT_LT(f, 1.0f);
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.01);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST(Rng, StateWordsRoundTrip) {
  Rng r(77);
  r.normal();
  const RngState s = r.state();
  const std::array<uint64_t, 6> w = s.to_words();
  EXPECT_EQ(RngState::from_words(w), s);
  EXPECT_EQ(w[4], 1u);
}

}  // namespace
}  // namespace cairn
