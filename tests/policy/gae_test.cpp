#include "cairn/algorithms/gae.h"

#include <gtest/gtest.h>

#include <vector>

#include "cairn/random/random.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// The definition, computed directly: A_t = sum_l (gamma lambda)^l delta_{t+l} up to the
// end of the episode (or of the rollout), with each delta bootstrapping as documented.
std::vector<double> direct_advantages(size_t T, size_t N, const std::vector<float>& r,
                                      const std::vector<float>& v, const std::vector<uint8_t>& term,
                                      const std::vector<uint8_t>& trunc,
                                      const std::vector<float>& final_v,
                                      const std::vector<float>& next_v, double g, double l) {
  auto delta = [&](size_t t, size_t e) {
    const size_t i = t * N + e;
    double next = t + 1 < T ? v[(t + 1) * N + e] : next_v[e];
    if (term[i])
      next = 0;
    else if (trunc[i])
      next = final_v[i];
    return r[i] + g * next - v[i];
  };
  std::vector<double> out(T * N);
  for (size_t e = 0; e < N; ++e) {
    for (size_t t = 0; t < T; ++t) {
      double a = 0, w = 1;
      for (size_t k = t; k < T; ++k) {
        a += w * delta(k, e);
        if (term[k * N + e] || trunc[k * N + e]) break;
        w *= g * l;
      }
      out[t * N + e] = a;
    }
  }
  return out;
}

TEST(Gae, MatchesTheDefinitionWithTerminationAndTruncation) {
  const size_t T = 40, N = 3;
  Rng rng(4);
  std::vector<float> r(T * N), v(T * N), fv(T * N), nv(N);
  std::vector<uint8_t> term(T * N), trunc(T * N);
  for (size_t i = 0; i < T * N; ++i) {
    r[i] = static_cast<float>(rng.normal());
    v[i] = static_cast<float>(rng.normal());
    fv[i] = static_cast<float>(rng.normal());
    const double u = rng.uniform();
    term[i] = u < 0.08;
    trunc[i] = u > 0.9;
  }
  for (float& x : nv) x = static_cast<float>(rng.normal());
  std::vector<float> adv(T * N), ret(T * N);
  compute_gae({T, N, r, v, term, trunc, fv, nv, 0.97f, 0.9f}, adv, ret);
  const std::vector<double> want = direct_advantages(T, N, r, v, term, trunc, fv, nv, 0.97f, 0.9f);
  for (size_t i = 0; i < T * N; ++i) {
    EXPECT_NEAR(adv[i], want[i], 1e-4) << i;
    EXPECT_FLOAT_EQ(ret[i], adv[i] + v[i]);
  }
}

TEST(Gae, TruncationBootstrapsFromTheFinalObservationAndTerminationDoesNot) {
  // One env, two steps: the first truncated, the second terminated.
  const std::vector<float> r = {1.0f, 2.0f}, v = {0.5f, 0.25f}, fv = {10.0f, 100.0f}, nv = {7.0f};
  const std::vector<uint8_t> term = {0, 1}, trunc = {1, 0};
  std::vector<float> adv(2), ret(2);
  compute_gae({2, 1, r, v, term, trunc, fv, nv, 0.5f, 1.0f}, adv, ret);
  EXPECT_FLOAT_EQ(adv[0], 1.0f + 0.5f * 10.0f - 0.5f);  // bootstraps from V(final)
  EXPECT_FLOAT_EQ(adv[1], 2.0f - 0.25f);                // terminal: no bootstrap
  EXPECT_FLOAT_EQ(ret[0], 1.0f + 0.5f * 10.0f);
}

TEST(Gae, SizeMismatchIsAnError) {
  const std::vector<float> x(4);
  const std::vector<uint8_t> f(4);
  std::vector<float> adv(4), ret(3);
  EXPECT_ERROR_CONTAINS(
      compute_gae({2, 2, x, x, f, f, x, std::span<const float>(x).first(2)}, adv, ret),
      "returns has 3 elements, expected 4");
}

}  // namespace
}  // namespace cairn
