// OrnsteinUhlenbeckNoise: Stable-Baselines3's recurrence (a NumPy reference fed the same
// normals), the process's statistics against their closed forms, reset, save/restore and
// errors.
#include "cairn/policy/ornstein_uhlenbeck_noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "error_matchers.h"

namespace cairn {
namespace {

TEST(OrnsteinUhlenbeckNoise, MatchesNumPyReferenceOnTheSameNormals) {
  const size_t envs = 2, dim = 3, steps = 50, n = envs * dim;
  OrnsteinUhlenbeckOptions o;
  o.sigma = 0.5;
  OrnsteinUhlenbeckNoise noise(envs, dim, o);
  Rng rng(7), copy(7);
  std::vector<double> normals(steps * n);
  for (double& z : normals) z = copy.normal();  // sample() draws exactly these, in order
  std::vector<float> out(n), all;
  for (size_t t = 0; t < steps; ++t) {
    noise.sample(rng, out);
    all.insert(all.end(), out.begin(), out.end());
    if (t == 20) noise.reset(0);  // environment 0: elements 0..2
  }
  EXPECT_EQ(rng, copy);

  nlohmann::json c;
  c["sigma"] = o.sigma;
  c["theta"] = o.theta;
  c["dt"] = o.dt;
  c["steps"] = steps;
  c["n"] = n;
  c["normals"] = normals;
  c["reset_after"] = {20};
  c["reset_elements"] = {0, 1, 2};  // environment 0
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cairn_ou_numpy_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string("/usr/bin/python3 ") + CAIRN_SOURCE_DIR +
                          "/tests/policy/ornstein_uhlenbeck_reference.py " +
                          (dir / "case.json").string() + " " + (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << " (needs python3-numpy)";
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);
  const std::vector<double> ref = r["noise"];
  ASSERT_EQ(ref.size(), all.size());
  // The same operations in the same order: the same bits.
  for (size_t k = 0; k < all.size(); ++k)
    EXPECT_EQ(all[k], static_cast<float>(ref[k])) << "step " << k / n << ", element " << k % n;
  // After the reset, environment 0 starts again from 0: x = sigma * sqrt(dt) * z.
  for (size_t i = 0; i < dim; ++i)
    EXPECT_EQ(all[21 * n + i], static_cast<float>(o.sigma * std::sqrt(o.dt) * normals[21 * n + i]));
}

// Closed forms with a = 1 - theta * dt, s = sigma * sqrt(dt), x_0 = 0:
//   Var x_t = s^2 (1 - a^(2t)) / (1 - a^2),  Corr(x_t, x_{t+k}) -> a^k (stationary).
TEST(OrnsteinUhlenbeckNoise, StatisticsFollowTheClosedForm) {
  OrnsteinUhlenbeckOptions o;
  o.sigma = 0.5;
  o.theta = 0.15;
  o.dt = 0.01;
  const size_t n = 20000, steps = 400;  // 20000 independent processes
  OrnsteinUhlenbeckNoise noise(n, 1, o);
  Rng rng(11);
  std::vector<float> x(n);
  std::vector<double> at_200(n);
  for (size_t t = 1; t <= steps; ++t) {
    noise.sample(rng, x);
    if (t == 200) at_200.assign(x.begin(), x.end());
  }
  const double a = 1 - o.theta * o.dt, s2 = o.sigma * o.sigma * o.dt;
  const auto variance_after = [&](double t) { return s2 * (1 - std::pow(a, 2 * t)) / (1 - a * a); };
  double mean = 0, var = 0, cov = 0, var_200 = 0;
  for (size_t i = 0; i < n; ++i) {
    mean += x[i];
    var += static_cast<double>(x[i]) * x[i];
    cov += static_cast<double>(x[i]) * at_200[i];
    var_200 += at_200[i] * at_200[i];
  }
  mean /= n;
  var /= n;
  cov /= n;
  var_200 /= n;
  const double expected = variance_after(steps);
  // Standard errors: mean sqrt(var / n); variance var * sqrt(2 / n) (about 1%).
  EXPECT_NEAR(mean, 0.0, 4 * std::sqrt(expected / n));
  EXPECT_NEAR(var, expected, 4 * expected * std::sqrt(2.0 / n));
  EXPECT_NEAR(var_200, variance_after(200), 4 * variance_after(200) * std::sqrt(2.0 / n));
  // Cov(x_200, x_400) = a^200 Var x_200.
  const double expected_cov = std::pow(a, 200) * variance_after(200);
  EXPECT_NEAR(cov, expected_cov, 4 * std::sqrt(var * var_200 / n));
  EXPECT_GT(cov / std::sqrt(var * var_200), 0.25) << "correlated over 200 steps";

  // The limit: sigma^2 / (2 theta - theta^2 dt), about 0.834 (std 0.913) here.
  EXPECT_NEAR(noise.stationary_variance(), s2 / (1 - a * a), 1e-12);
  EXPECT_NEAR(noise.stationary_variance(), 0.8340, 1e-4);
  o.theta = 0;
  EXPECT_EQ(OrnsteinUhlenbeckNoise(1, 1, o).stationary_variance(),
            std::numeric_limits<double>::infinity());
}

TEST(OrnsteinUhlenbeckNoise, ResetRestartsOneEnvironment) {
  OrnsteinUhlenbeckNoise noise(3, 2, {});
  Rng rng(3);
  std::vector<float> x(6);
  for (int t = 0; t < 10; ++t) noise.sample(rng, x);
  noise.reset(1);
  const std::span<const double> s = noise.state();
  EXPECT_EQ(s[2], 0.0);
  EXPECT_EQ(s[3], 0.0);
  EXPECT_NE(s[0], 0.0);
  EXPECT_NE(s[5], 0.0);
  noise.reset_all();
  for (double v : noise.state()) EXPECT_EQ(v, 0.0);
  EXPECT_ERROR_CONTAINS(noise.reset(3), "OrnsteinUhlenbeckNoise::reset: environment 3 of 3");
}

TEST(OrnsteinUhlenbeckNoise, SaveRestoreContinuesBitIdentically) {
  OrnsteinUhlenbeckNoise a(2, 2, {}), b(2, 2, {});
  Rng rng(5);
  std::vector<float> x(4), y(4);
  for (int t = 0; t < 30; ++t) a.sample(rng, x);
  TensorDict saved("state.safetensors");
  a.save_state(saved, "ou/");
  ASSERT_TRUE(saved.contains("ou/state"));
  b.restore_state(saved, "ou/");
  Rng rng_b = rng;
  for (int t = 0; t < 30; ++t) {
    a.sample(rng, x);
    b.sample(rng_b, y);
    EXPECT_EQ(x, y) << t;
  }

  TensorDict wrong("state.safetensors");
  OrnsteinUhlenbeckNoise(3, 2, {}).save_state(wrong, "ou/");
  const std::vector<double> before(b.state().begin(), b.state().end());
  EXPECT_ERROR_CONTAINS(b.restore_state(wrong, "ou/"), "ou/state");
  EXPECT_ERROR_CONTAINS(b.restore_state(TensorDict("s.safetensors"), "ou/"), "ou/state");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double bad[] = {0, nan, 0, 0};
  TensorDict non_finite("state.safetensors");
  non_finite.insert("ou/state", Tensor::f64(bad, {2, 2}));
  EXPECT_ERROR_CONTAINS(b.restore_state(non_finite, "ou/"),
                        "state.safetensors: tensor 'ou/state' element 1 is not finite");
  EXPECT_EQ(std::vector<double>(b.state().begin(), b.state().end()), before) << "unchanged";
}

TEST(OrnsteinUhlenbeckNoise, RefusesBadOptionsAndSizes) {
  OrnsteinUhlenbeckOptions o;
  o.sigma = -1;
  EXPECT_ERROR_CONTAINS(OrnsteinUhlenbeckNoise(1, 1, o), "'sigma' must be a finite number >= 0");
  o = {};
  o.dt = 0;
  EXPECT_ERROR_CONTAINS(OrnsteinUhlenbeckNoise(1, 1, o), "'dt' must be a finite number > 0");
  o = {};
  o.theta = 200;
  EXPECT_ERROR_CONTAINS(OrnsteinUhlenbeckNoise(1, 1, o), "'theta' * 'dt' must be at most 1");
  EXPECT_ERROR_CONTAINS(OrnsteinUhlenbeckNoise(0, 1, {}), "at least one environment");
  OrnsteinUhlenbeckNoise noise(2, 1, {});
  Rng rng(1);
  std::vector<float> x(3);
  EXPECT_ERROR_CONTAINS(noise.sample(rng, x), "the noise buffer has 3 elements, expected 2 x 1");
}

}  // namespace
}  // namespace cairn
