// Initialisers: determinism, orthogonality and gains, variance-scaling statistics.
#include "cairn/nn/initializers.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "cairn/error.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"

namespace cairn::nn {
namespace {

Eigen::MatrixXd draw(const InitSpec& spec, int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(static_cast<size_t>(rows * cols));
  const int64_t shape[] = {rows, cols};
  fill(spec, shape, v, rng);
  Eigen::MatrixXd m(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m(r, c) = v[static_cast<size_t>(r * cols + c)];
  }
  return m;
}

TEST(NnInit, SameSeedGivesBitIdenticalWeightsDifferentSeedsDiffer) {
  for (const ModelSpec& spec : {ppo_actor_critic(4, 2), founding_story_actor_critic(6, 3)}) {
    Model<float> a(spec), b(spec), c(spec);
    a.initialize(42);
    b.initialize(42);
    c.initialize(43);
    const auto pa = a.flat_parameters(), pb = b.flat_parameters(), pc = c.flat_parameters();
    EXPECT_EQ(0, std::memcmp(pa.data(), pb.data(), pa.size_bytes()));
    EXPECT_NE(0, std::memcmp(pa.data(), pc.data(), pa.size_bytes()));
    // Every randomly initialised tensor differs between seeds.
    for (const TensorInfo& t : a.parameters()) {
      if (t.shape.size() == 2) {
        EXPECT_FALSE(std::equal(a.parameter(t.name).begin(), a.parameter(t.name).end(),
                                c.parameter(t.name).begin()))
            << t.name;
      }
    }
    // A float model and a double model from one seed agree up to rounding to float.
    Model<double> d(spec);
    d.initialize(42);
    for (size_t i = 0; i < pa.size(); ++i) {
      ASSERT_EQ(pa[i], static_cast<float>(d.flat_parameters()[i])) << i;
    }
  }
}

TEST(NnInit, OrthogonalIsOrthogonalWithGain) {
  const double gain = std::sqrt(2.0);
  // Tall [in > out]: orthonormal columns. Wide [in < out]: orthonormal rows.
  const Eigen::MatrixXd tall = draw(InitSpec::orthogonal(gain), 64, 8, 1);
  EXPECT_TRUE((tall.transpose() * tall).isApprox(2.0 * Eigen::MatrixXd::Identity(8, 8), 1e-12));
  const Eigen::MatrixXd wide = draw(InitSpec::orthogonal(gain), 4, 64, 2);
  EXPECT_TRUE((wide * wide.transpose()).isApprox(2.0 * Eigen::MatrixXd::Identity(4, 4), 1e-12));
  const Eigen::MatrixXd square = draw(InitSpec::orthogonal(0.01), 16, 16, 3);
  EXPECT_TRUE(
      (square.transpose() * square).isApprox(1e-4 * Eigen::MatrixXd::Identity(16, 16), 1e-12));
}

TEST(NnInit, PpoDefaultGainsAndZeroBiases) {
  Model<double> m(ppo_actor_critic(4, 2));
  m.initialize(7);
  auto kernel = [&](const std::string& name) {
    const TensorInfo& t = m.parameter_info(name);
    return Eigen::Map<const RowMatrix<double>>(m.parameter(name).data(), t.shape[0], t.shape[1])
        .eval();
  };
  const RowMatrix<double> k1 = kernel("pi/dense_1/kernel");  // 64 x 64, gain sqrt(2)
  EXPECT_TRUE((k1.transpose() * k1).isApprox(2.0 * Eigen::MatrixXd::Identity(64, 64), 1e-10));
  const RowMatrix<double> pi_out = kernel("pi/dense_2/kernel");  // 64 x 2, gain 0.01
  EXPECT_TRUE(
      (pi_out.transpose() * pi_out).isApprox(1e-4 * Eigen::MatrixXd::Identity(2, 2), 1e-10));
  const RowMatrix<double> vf_out = kernel("vf/dense_2/kernel");  // 64 x 1, gain 1
  EXPECT_NEAR(vf_out.norm(), 1.0, 1e-12);
  for (const TensorInfo& t : m.parameters()) {
    if (t.shape.size() == 1) {
      for (double v : m.parameter(t.name)) EXPECT_EQ(v, 0.0) << t.name;
    }
  }
}

TEST(NnInit, VarianceScalingStatistics) {
  using Mode = InitSpec::Mode;
  using Dist = InitSpec::Distribution;
  const int64_t in = 300, out = 200;
  struct Case {
    InitSpec spec;
    double fan;
  };
  const Case cases[] = {
      {InitSpec::variance_scaling(1.0, Mode::kFanIn, Dist::kUniform), 300},
      {InitSpec::variance_scaling(2.0, Mode::kFanOut, Dist::kNormal), 200 / 2.0},
      {InitSpec::variance_scaling(1.0, Mode::kFanAvg, Dist::kTruncatedNormal), 250},
      {InitSpec::glorot_uniform(), 250},
      {InitSpec::he_normal(), 150},
  };
  for (const Case& c : cases) {
    const Eigen::MatrixXd m = draw(c.spec, in, out, 11);
    const double var = m.array().square().mean();
    EXPECT_NEAR(var, 1.0 / c.fan, 0.03 / c.fan) << c.spec.to_json().dump();
    EXPECT_NEAR(m.mean(), 0.0, 0.02 / std::sqrt(c.fan));
    if (c.spec.distribution == Dist::kUniform) {
      EXPECT_LE(m.cwiseAbs().maxCoeff(), std::sqrt(3.0 / c.fan));
    }
    if (c.spec.distribution == Dist::kTruncatedNormal) {
      EXPECT_LE(m.cwiseAbs().maxCoeff(), 2.0 * std::sqrt(1.0 / c.fan) / 0.87962566103423978);
    }
  }
}

TEST(NnInit, ConstantsZerosAndErrors) {
  EXPECT_EQ(draw(InitSpec::constant(0.5), 2, 3, 0), Eigen::MatrixXd::Constant(2, 3, 0.5));
  EXPECT_EQ(draw(InitSpec::zeros(), 2, 3, 0), Eigen::MatrixXd::Zero(2, 3));
  Rng rng(0);
  std::vector<double> v(4);
  const int64_t vec_shape[] = {4};
  EXPECT_THROW(fill(InitSpec::orthogonal(), vec_shape, v, rng), Error);
  EXPECT_THROW(fill(InitSpec::glorot_uniform(), vec_shape, v, rng), Error);
}

TEST(NnInit, JsonFormsRoundTrip) {
  for (const InitSpec& s : {InitSpec::zeros(), InitSpec::constant(-2.5), InitSpec::orthogonal(0.01),
                            InitSpec::he_uniform(), InitSpec::lecun_normal(),
                            InitSpec::variance_scaling(0.3, InitSpec::Mode::kFanOut,
                                                       InitSpec::Distribution::kNormal)}) {
    EXPECT_EQ(InitSpec::from_json(s.to_json(), "init"), s);
  }
  EXPECT_EQ(InitSpec::from_json({{"type", "glorot_uniform"}}, "init"), InitSpec::glorot_uniform());
  EXPECT_THROW(InitSpec::from_json({{"type", "xavier"}}, "init"), Error);
}

}  // namespace
}  // namespace cairn::nn
