#include "cairn/policy/distribution.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cairn/random/random.h"
#include "cairn/space/space.h"
#include "error_matchers.h"

namespace cairn {
namespace {

using Dist = ActionDistribution<double>;

// L = sum_b (w_b * logp_b + v_b * H_b): checks backward() against central differences.
void check_gradients(const Dist& d, std::vector<double> inputs, std::vector<double> log_std,
                     const std::vector<int64_t>& ints, const std::vector<double>& floats) {
  const size_t batch = inputs.size() / d.num_inputs();
  std::vector<double> w(batch), v(batch);
  for (size_t b = 0; b < batch; ++b) {
    w[b] = 0.3 + 0.7 * static_cast<double>(b);
    v[b] = -0.2 + 0.5 * static_cast<double>(b);
  }
  auto loss = [&](const std::vector<double>& x, const std::vector<double>& ls) {
    std::vector<double> lp(batch), h(batch);
    d.log_prob(x, ls, ints, floats, lp);
    d.entropy(x, ls, h);
    double l = 0;
    for (size_t b = 0; b < batch; ++b) l += w[b] * lp[b] + v[b] * h[b];
    return l;
  };
  std::vector<double> d_inputs(inputs.size()), d_log_std(log_std.size(), 0.0);
  d.backward(inputs, log_std, ints, floats, w, v, d_inputs, d_log_std);
  const double eps = 1e-6;
  auto check = [&](std::vector<double>& x, size_t i, double analytic, const char* what) {
    const double saved = x[i];
    x[i] = saved + eps;
    const double up = loss(inputs, log_std);
    x[i] = saved - eps;
    const double down = loss(inputs, log_std);
    x[i] = saved;
    const double numeric = (up - down) / (2 * eps);
    EXPECT_LE(std::abs(numeric - analytic), 1e-6 * std::max(1.0, std::abs(numeric)))
        << what << "[" << i << "] numeric " << numeric << " analytic " << analytic;
  };
  for (size_t i = 0; i < inputs.size(); ++i) check(inputs, i, d_inputs[i], "inputs");
  for (size_t i = 0; i < log_std.size(); ++i) check(log_std, i, d_log_std[i], "log_std");
}

TEST(Distribution, CategoricalGradientsMatchFiniteDifferences) {
  const Dist d = Dist::for_action_space(Space::discrete(3));
  check_gradients(d, {0.1, -0.4, 1.3, 2.0, 2.0, -1.0}, {}, {2, 0}, {});
}

TEST(Distribution, MultiCategoricalGradientsMatchFiniteDifferences) {
  const Dist d = Dist::for_action_space(Space::multi_discrete({2, 3}));
  EXPECT_EQ(d.num_inputs(), 5u);
  check_gradients(d, {0.5, -0.5, 0.1, 0.2, 0.3, -1.0, 1.0, 3.0, -2.0, 0.0}, {}, {1, 2, 0, 0}, {});
}

TEST(Distribution, GaussianGradientsMatchFiniteDifferences) {
  const Dist d = Dist::for_action_space(Space::box(-2.0f, 2.0f, {2}));
  check_gradients(d, {0.1, -0.3, 1.0, 0.5}, {-0.5, 0.2}, {}, {0.4, -1.1, 0.7, 0.9});
}

TEST(Distribution, CategoricalValuesAreLogSoftmaxAndEntropy) {
  const Dist d = Dist::for_action_space(Space::discrete(2));
  const std::vector<double> x = {0.0, std::log(3.0)};  // probabilities 1/4, 3/4
  std::vector<double> lp(1), h(1);
  const std::vector<int64_t> a = {1};
  d.log_prob(x, {}, a, {}, lp);
  d.entropy(x, {}, h);
  EXPECT_NEAR(lp[0], std::log(0.75), 1e-15);
  EXPECT_NEAR(h[0], -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)), 1e-15);
}

TEST(Distribution, GaussianValuesMatchTheDensity) {
  const Dist d = Dist::for_action_space(Space::box(-1.0f, 1.0f, {1}));
  std::vector<double> lp(1), h(1);
  const std::vector<double> mean = {0.5}, log_std = {std::log(2.0)}, a = {1.5};
  d.log_prob(mean, log_std, {}, a, lp);
  d.entropy(mean, log_std, h);
  const double pi = std::acos(-1.0);
  EXPECT_NEAR(lp[0], std::log(std::exp(-0.5 * 0.25) / (2.0 * std::sqrt(2 * pi))), 1e-14);
  EXPECT_NEAR(h[0], 0.5 * std::log(2 * pi * std::exp(1.0) * 4.0), 1e-14);
}

TEST(Distribution, CategoricalSamplesFollowTheProbabilities) {
  const ActionDistribution<float> d =
      ActionDistribution<float>::for_action_space(Space::discrete(3));
  const std::vector<float> x = {0.0f, std::log(2.0f), std::log(5.0f)};  // 1/8, 2/8, 5/8
  Rng rng(11);
  std::vector<int> counts(3, 0);
  const int n = 80000;
  std::vector<int64_t> a(1);
  for (int i = 0; i < n; ++i) {
    d.sample(x, {}, rng, a, {});
    ++counts[static_cast<size_t>(a[0])];
  }
  const double p[] = {0.125, 0.25, 0.625};
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_NEAR(counts[k] / double(n), p[k], 4 * std::sqrt(p[k] * (1 - p[k]) / n)) << k;
  }
}

TEST(Distribution, GaussianSamplesHaveTheMeanAndStd) {
  const Dist d = Dist::for_action_space(Space::box(-1.0f, 1.0f, {1}));
  Rng rng(2);
  const std::vector<double> mean = {0.3}, log_std = {std::log(0.5)};
  double s = 0, s2 = 0;
  const int n = 100000;
  std::vector<double> a(1);
  for (int i = 0; i < n; ++i) {
    d.sample(mean, log_std, rng, {}, a);
    s += a[0];
    s2 += a[0] * a[0];
  }
  EXPECT_NEAR(s / n, 0.3, 0.01);
  EXPECT_NEAR(std::sqrt(s2 / n - (s / n) * (s / n)), 0.5, 0.01);
}

TEST(Distribution, ModeIsArgmaxOrMean) {
  const Dist md = Dist::for_action_space(Space::multi_discrete({3, 2}));
  std::vector<int64_t> a(2);
  md.mode(std::vector<double>{0.1, 0.9, 0.9, 2.0, -1.0}, a, {});
  EXPECT_EQ(a, (std::vector<int64_t>{1, 0}));  // first of the tied maxima
  const Dist g = Dist::for_action_space(Space::box(-1.0f, 1.0f, {2}));
  std::vector<double> f(2);
  g.mode(std::vector<double>{0.25, -3.0}, {}, f);
  EXPECT_EQ(f, (std::vector<double>{0.25, -3.0}));
}

TEST(Distribution, JsonRoundTripAndErrors) {
  for (const Space& s :
       {Space::discrete(4), Space::multi_discrete({2, 5}), Space::box(0.0f, 1.0f, {3})}) {
    const Dist d = Dist::for_action_space(s);
    EXPECT_TRUE(Dist::from_json(nlohmann::json::parse(d.to_json().dump())) == d);
  }
  EXPECT_ERROR_CONTAINS(Dist::from_json(nlohmann::json{{"type", "beta"}}), "\"beta\"");
  EXPECT_ERROR_CONTAINS(
      Dist::from_json(nlohmann::json{{"type", "categorical"}, {"categories", {0}}}),
      "positive integers");
  EXPECT_ERROR_CONTAINS(Dist::from_json(nlohmann::json{{"type", "diagonal_gaussian"}}),
                        "'action_dim'");
}

TEST(Distribution, SizeMismatchesAreErrors) {
  const Dist d = Dist::for_action_space(Space::discrete(3));
  std::vector<double> out(1);
  const std::vector<int64_t> a = {5};
  EXPECT_ERROR_CONTAINS(d.log_prob(std::vector<double>{1, 2, 3}, {}, a, {}, out), "outside [0, 3)");
  EXPECT_ERROR_CONTAINS(d.entropy(std::vector<double>{1, 2}, {}, out), "not a multiple of 3");
}

}  // namespace
}  // namespace cairn
