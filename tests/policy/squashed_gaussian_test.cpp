#include "cairn/policy/squashed_gaussian.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>

#include "cairn/random/random.h"
#include "cairn/space/space.h"
#include "error_matchers.h"
#include "support/torch_reference.h"

namespace cairn {
namespace {

using testing_torch::kPython;
using testing_torch::relative_error;
using testing_torch::torch_available;

// A batch of inputs: means, raw log-stds and noise, row-major [batch x d].
template <typename T>
struct Inputs {
  size_t batch = 0, d = 0;
  std::vector<T> means, raw_log_stds, eps;
};

// Generic inputs: raw log-stds in [-3, 3.5] (some above the clamp's max of 2) and a few
// below the clamp's min, none within 0.05 of either bound so finite differences stay on
// one side of the kink.
template <typename T>
Inputs<T> random_inputs(size_t batch, size_t d, uint64_t seed) {
  Rng rng(seed);
  Inputs<T> in{batch, d, {}, {}, {}};
  for (size_t i = 0; i < batch * d; ++i) {
    in.means.push_back(static_cast<T>(rng.normal()));
    double raw = rng.uniform(-3.0, 3.5);
    if (std::abs(raw - 2.0) < 0.05) raw += 0.1;
    if (i % 7 == 3) raw = -21.0 - rng.uniform();
    in.raw_log_stds.push_back(static_cast<T>(raw));
    in.eps.push_back(static_cast<T>(rng.normal()));
  }
  return in;
}

// Inputs where the textbook formula is itself accurate in double: std not tiny (so
// (u - mean) / std keeps its digits) and |u| moderate (so 1 - tanh(u)^2 does).
template <typename T>
Inputs<T> moderate_inputs(size_t batch, size_t d, uint64_t seed) {
  Rng rng(seed);
  Inputs<T> in{batch, d, {}, {}, {}};
  for (size_t i = 0; i < batch * d; ++i) {
    in.means.push_back(static_cast<T>(rng.normal()));
    in.raw_log_stds.push_back(static_cast<T>(rng.uniform(-2.0, 0.5)));
    in.eps.push_back(static_cast<T>(rng.normal()));
  }
  return in;
}

// L = sum_j R_j a_j + sum_b w_b log_pi_b.
struct LossWeights {
  std::vector<double> R, w;
};

LossWeights random_weights(size_t batch, size_t d, uint64_t seed) {
  Rng rng(seed);
  LossWeights lw;
  for (size_t i = 0; i < batch * d; ++i) lw.R.push_back(rng.normal());
  for (size_t b = 0; b < batch; ++b) lw.w.push_back(rng.normal());
  return lw;
}

double loss(const SquashedGaussian<double>& dist, const Inputs<double>& in, const LossWeights& lw,
            bool use_actions, bool use_log_probs) {
  std::vector<double> a(in.batch * in.d), lp(in.batch);
  dist.forward(in.means, in.raw_log_stds, in.eps, a, lp);
  double l = 0;
  for (size_t i = 0; i < a.size() && use_actions; ++i) l += lw.R[i] * a[i];
  for (size_t b = 0; b < lp.size() && use_log_probs; ++b) l += lw.w[b] * lp[b];
  return l;
}

// Relative error |a - n| / max(|a|, |n|, floor), the gradient checker's measure.
double relative_error(double analytic, double numeric, double floor = 1e-3) {
  return std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), floor});
}

void check_gradients(bool use_actions, bool use_log_probs) {
  const size_t batch = 5, d = 3;
  const SquashedGaussian<double> dist(d);
  Inputs<double> in = random_inputs<double>(batch, d, 11);
  const LossWeights lw = random_weights(batch, d, 12);
  std::vector<double> d_means(batch * d), d_raw(batch * d);
  const std::vector<double> no_grad;
  dist.backward(in.means, in.raw_log_stds, in.eps, use_actions ? lw.R : no_grad,
                use_log_probs ? lw.w : no_grad, d_means, d_raw);
  // Losses reach ~50 (log-stds of -20), so h = 1e-5 keeps the rounding of the central
  // difference near 1e-10 while its truncation error stays below ~1e-8.
  const double h = 1e-5;
  size_t clamped = 0;
  for (size_t i = 0; i < batch * d; ++i) {
    for (std::vector<double>* x : {&in.means, &in.raw_log_stds}) {
      const double saved = (*x)[i];
      (*x)[i] = saved + h;
      const double up = loss(dist, in, lw, use_actions, use_log_probs);
      (*x)[i] = saved - h;
      const double down = loss(dist, in, lw, use_actions, use_log_probs);
      (*x)[i] = saved;
      const double numeric = (up - down) / (2 * h);
      const double analytic = x == &in.means ? d_means[i] : d_raw[i];
      EXPECT_LT(relative_error(analytic, numeric), 1e-5)
          << (x == &in.means ? "d_mean[" : "d_raw_log_std[") << i << "]: analytic " << analytic
          << ", numeric " << numeric;
    }
    if (in.raw_log_stds[i] > 2.0 || in.raw_log_stds[i] < -20.0) {
      ++clamped;
      EXPECT_EQ(d_raw[i], 0.0) << "no gradient through a binding clamp, element " << i;
    }
  }
  EXPECT_GE(clamped, 3u) << "the inputs should exercise the clamp on both sides";
}

TEST(SquashedGaussian, GradientsMatchFiniteDifferencesInFloat64) {
  check_gradients(true, true);
  check_gradients(true, false);  // dL/dlog_pi empty: zero
  check_gradients(false, true);  // dL/da empty: zero
}

TEST(SquashedGaussian, LogProbMatchesTheDirectFormula) {
  const size_t batch = 6, d = 4;
  const Inputs<double> in = moderate_inputs<double>(batch, d, 3);
  const SquashedGaussian<double> dist(d);
  std::vector<double> a(batch * d), lp(batch);
  dist.forward(in.means, in.raw_log_stds, in.eps, a, lp);
  for (size_t b = 0; b < batch; ++b) {
    double direct = 0;
    for (size_t j = b * d; j < (b + 1) * d; ++j) {
      // Textbook: the normal density at u, divided by |da/du| = 1 - tanh(u)^2.
      const double log_std = std::clamp(in.raw_log_stds[j], -20.0, 2.0);
      const double sigma = std::exp(log_std), u = in.means[j] + sigma * in.eps[j];
      const double z = (u - in.means[j]) / sigma;
      const double density = std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * std::numbers::pi));
      direct += std::log(density) - std::log(1 - std::tanh(u) * std::tanh(u));
      EXPECT_EQ(a[j], std::tanh(u)) << j;
    }
    EXPECT_NEAR(lp[b], direct, 1e-9 * std::max(1.0, std::abs(direct))) << b;
  }
  // float agrees with double to float precision.
  const Inputs<float> inf = moderate_inputs<float>(batch, d, 3);
  const SquashedGaussian<float> dist_f(d);
  std::vector<float> af(batch * d), lpf(batch);
  dist_f.forward(inf.means, inf.raw_log_stds, inf.eps, af, lpf);
  for (size_t b = 0; b < batch; ++b) {
    EXPECT_NEAR(lpf[b], lp[b], 2e-5 * std::max(1.0, std::abs(lp[b]))) << b;
  }
}

template <typename T>
void check_extreme_u(T mean, T raw_log_std, T eps, double u) {
  const SquashedGaussian<T> dist(1);
  const std::vector<T> m{mean}, r{raw_log_std}, e{eps};
  std::vector<T> a(1), lp(1), d_mean(1), d_raw(1);
  dist.forward(m, r, e, a, lp);
  const double log_std = std::clamp(static_cast<double>(raw_log_std), -20.0, 2.0);
  // log(1 - tanh(u)^2) = log 4 - 2|u| - 2 log1p(exp(-2|u|)), evaluated in double.
  const double log_jacobian =
      std::log(4.0) - 2 * std::abs(u) - 2 * std::log1p(std::exp(-2 * std::abs(u)));
  const double expected = -0.5 * static_cast<double>(eps * eps) - log_std -
                          0.5 * std::log(2 * std::numbers::pi) - log_jacobian;
  ASSERT_TRUE(std::isfinite(lp[0])) << "u = " << u;
  EXPECT_NEAR(static_cast<double>(lp[0]), expected, 1e-5 * std::abs(expected)) << "u = " << u;
  EXPECT_EQ(a[0], u > 0 ? T(1) : T(-1));  // tanh rounds to +-1 here
  // The naive form is -log(0) = inf at this u: what the stable form avoids.
  const T tanh_u = std::tanh(static_cast<T>(u));
  EXPECT_TRUE(std::isinf(std::log(T(1) - tanh_u * tanh_u)));
  const std::vector<T> d_a{T(1)}, d_lp{T(1)};
  dist.backward(m, r, e, d_a, d_lp, d_mean, d_raw);
  EXPECT_TRUE(std::isfinite(d_mean[0]) && std::isfinite(d_raw[0]));
  // d log pi / du = 2 tanh(u) = +-2; da/du ~ 4 exp(-2|u|) is negligible.
  EXPECT_NEAR(static_cast<double>(d_mean[0]), u > 0 ? 2.0 : -2.0, 1e-6);
}

TEST(SquashedGaussian, ExtremeUGivesAFiniteLogProb) {
  // u = +-20 through the mean (tiny std, clamped from below) and through the noise.
  check_extreme_u<float>(20.0f, -25.0f, 0.5f, 20.0);
  check_extreme_u<float>(-20.0f, -20.0f, -0.5f, -20.0);
  check_extreme_u<double>(20.0, -25.0, 0.0, 20.0);
  const double sigma = std::exp(2.0);
  check_extreme_u<double>(0.0, 2.0, -20.0 / sigma, -20.0);
  check_extreme_u<float>(0.0f, 3.0f, static_cast<float>(20.0 / sigma), 20.0);
}

TEST(SquashedGaussian, RsampleDrawsTheNoiseFromTheRng) {
  const SquashedGaussian<float> dist(2);
  const std::vector<float> means{0.5f, -1.0f, 2.0f, 0.0f}, raw{0.0f, -1.0f, 5.0f, -30.0f};
  std::vector<float> eps(4), a(4), lp(2), a2(4), lp2(2);
  Rng rng(42), reference(42);
  dist.rsample(means, raw, rng, eps, a, lp);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(eps[i], static_cast<float>(reference.normal())) << i;
  EXPECT_EQ(rng, reference);
  dist.forward(means, raw, eps, a2, lp2);
  EXPECT_EQ(a, a2);
  EXPECT_EQ(lp, lp2);
  EXPECT_EQ(a[0], std::tanh(0.5f + std::exp(0.0f) * eps[0]));
  EXPECT_EQ(a[2], std::tanh(2.0f + std::exp(2.0f) * eps[2]));  // log-std clamped to 2
  std::vector<float> mode(4);
  dist.deterministic(means, mode);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(mode[i], std::tanh(means[i]));
}

TEST(SquashedGaussian, RescalesToTheBoxBounds) {
  const Space box = Space::box({-2.0f, 0.0f}, {2.0f, 1.0f}, {2});
  const auto dist = SquashedGaussian<double>::for_action_space(box);
  const std::vector<double> a{-1.0, -1.0, 1.0, 1.0, 0.0, 0.5};
  std::vector<double> x(6), back(6), d_a(6);
  dist.to_bounds(a, x);
  EXPECT_EQ(x, (std::vector<double>{-2.0, 0.0, 2.0, 1.0, 0.0, 0.75}));
  dist.from_bounds(x, back);
  EXPECT_EQ(back, a);
  dist.to_bounds_backward(std::vector<double>(6, 1.0), d_a);
  EXPECT_EQ(d_a, (std::vector<double>{2.0, 0.5, 2.0, 0.5, 2.0, 0.5}));
  // Without bounds the rescaling is the identity.
  const SquashedGaussian<double> unit(2);
  unit.to_bounds(a, x);
  EXPECT_EQ(x, a);
}

TEST(SquashedGaussian, BadSpacesAndSizesAreNamed) {
  EXPECT_ERROR_CONTAINS(SquashedGaussian<float>::for_action_space(Space::discrete(3)),
                        "the action space Discrete(3) is not a Box with finite bounds");
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_ERROR_CONTAINS(SquashedGaussian<float>::for_action_space(Space::box(-inf, inf, {2})),
                        "is not a Box with finite bounds");
  EXPECT_ERROR_CONTAINS(
      SquashedGaussian<float>::for_action_space(Space::box({-1.0f, 3.0f}, {1.0f, 3.0f}, {2})),
      "has element 1 with low == high");
  EXPECT_ERROR_CONTAINS(SquashedGaussian<float>(0), "action_dim must be at least 1");
  EXPECT_ERROR_CONTAINS(SquashedGaussian<float>(2, 2.0, -20.0), "the log-std range [2.000000");
  EXPECT_ERROR_CONTAINS(SquashedGaussian<float>(2, -inf, 2.0), "must be finite");
  const SquashedGaussian<float> dist(2);
  std::vector<float> four(4), two(2), three(3);
  EXPECT_ERROR_CONTAINS(dist.forward(three, three, three, three, two),
                        "SquashedGaussian::forward: means have 3 elements, not a multiple of "
                        "action_dim 2");
  EXPECT_ERROR_CONTAINS(dist.forward(four, two, four, four, two),
                        "SquashedGaussian: raw_log_stds has 2 elements, expected 4");
  EXPECT_ERROR_CONTAINS(dist.forward(four, four, four, four, four), "log_probs has 4 elements");
  EXPECT_ERROR_CONTAINS(dist.backward(four, four, four, two, two, four, four),
                        "d_actions has 2 elements, expected 4");
}

// --- Conformance with PyTorch ----------------------------------------------------------

template <typename T>
std::vector<double> to_doubles(const std::vector<T>& v) {
  return {v.begin(), v.end()};
}

template <typename T>
void run_torch_conformance(double tolerance, double floor) {
  if (!torch_available()) {
    // scripts/test.sh installs python3-torch: its absence is a failure, never a skip.
    GTEST_FAIL() << "PyTorch not importable by " << kPython
                 << " (apt-get install python3-torch, as scripts/setup.sh test does)";
  }
  const size_t batch = 16, d = 3;
  // The log-std range is [-5, 2] here, not [-20, 2]: with std = exp(-20) PyTorch itself is
  // inaccurate, as Normal.log_prob recomputes (u - mean) / std and its mean gradient is
  // the cancellation of two +-eps/std terms (~5e8). cairn's behaviour at tiny std is
  // checked against the direct formula and finite differences above.
  const SquashedGaussian<T> dist(d, -5.0, 2.0);
  Inputs<T> in = random_inputs<T>(batch, d, 21);  // includes raw log-stds below -5
  // Row 0: raw log-stds exactly at the clamp's bounds (torch.clamp passes the gradient
  // there). Row 1: |u| near 20, where tanh rounds to +-1.
  in.raw_log_stds[0] = T(2);
  in.raw_log_stds[1] = T(-5);
  in.means[3] = T(19.5);
  in.means[4] = T(-19.5);
  in.raw_log_stds[3] = in.raw_log_stds[4] = T(-1);
  const LossWeights lw = random_weights(batch, d, 22);

  nlohmann::json c;
  c["dtype"] = std::is_same_v<T, float> ? "float32" : "float64";
  c["batch"] = batch;
  c["d"] = d;
  c["means"] = to_doubles(in.means);
  c["raw_log_stds"] = to_doubles(in.raw_log_stds);
  c["eps"] = to_doubles(in.eps);
  c["R"] = lw.R;
  c["w"] = lw.w;
  c["log_std_min"] = dist.log_std_min();
  c["log_std_max"] = dist.log_std_max();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("cairn_squashed_torch_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/policy/squashed_gaussian_reference.py " +
                          (dir / "case.json").string() + " " + (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);

  std::vector<T> a(batch * d), lp(batch), d_means(batch * d), d_raw(batch * d);
  dist.forward(in.means, in.raw_log_stds, in.eps, a, lp);
  std::vector<T> R(lw.R.begin(), lw.R.end()), w(lw.w.begin(), lw.w.end());
  dist.backward(in.means, in.raw_log_stds, in.eps, R, w, d_means, d_raw);
  EXPECT_LE(relative_error(to_doubles(a), r["actions"], floor), tolerance);
  EXPECT_LE(relative_error(to_doubles(lp), r["log_probs"], floor), tolerance);
  EXPECT_LE(relative_error(to_doubles(d_means), r["d_means"], floor), tolerance);
  EXPECT_LE(relative_error(to_doubles(d_raw), r["d_raw_log_stds"], floor), tolerance);
  EXPECT_NE(d_raw[0], T(0)) << "torch.clamp passes the gradient at the bound";
  EXPECT_NE(d_raw[1], T(0)) << "torch.clamp passes the gradient at the bound";
  EXPECT_EQ(d_raw[10], T(0)) << "below the range: clamped, no gradient";
}

TEST(SquashedGaussianTorch, Float64) {
  run_torch_conformance<double>(1e-10, 1e-2);
}

TEST(SquashedGaussianTorch, Float32) {
  run_torch_conformance<float>(1e-5, 1.0);
}

}  // namespace
}  // namespace cairn
