// The dueling_q layer (Wang et al. 2016): forward against the formula, gradients against
// finite differences, its wiring errors, the DQN dueling spec, and its ONNX and C
// lowerings proven by the exporters' verification.
#include "cairn/nn/dueling.h"

#include <gtest/gtest.h>

#include <vector>

#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/nn/gradient_check.h"
#include "cairn/nn/model.h"
#include "cairn/policy/policy.h"
#include "error_matchers.h"
#include "export/export_test_policies.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

// value [batch, 1] and advantage [batch, n] from the input, aggregated into "q".
nlohmann::json aggregate_spec(nn::Index input, nn::Index n) {
  return {{"input_size", input},
          {"blocks",
           {{{"name", "value"}, {"layers", {{{"type", "dense"}, {"units", 1}}}}},
            {{"name", "advantage"}, {"layers", {{{"type", "dense"}, {"units", n}}}}},
            {{"name", "q"},
             {"inputs", {"value", "advantage"}},
             {"layers", {{{"type", "dueling_q"}}}}}}},
          {"outputs", {"q"}}};
}

TEST(DuelingQ, ForwardIsValuePlusCentredAdvantage) {
  nn::Model<double> model(nn::ModelSpec::from_json(aggregate_spec(3, 4)));
  model.initialize(5);
  const std::vector<double> x = {0.5, -1.0, 2.0, 0.1, 0.2, -0.3};
  model.forward(nn::MatrixSpan<const double>(x.data(), 2, 3));
  // The same network by hand.
  const auto wv = model.parameter("value/dense_0/kernel");
  const auto bv = model.parameter("value/dense_0/bias");
  const auto wa = model.parameter("advantage/dense_0/kernel");
  const auto ba = model.parameter("advantage/dense_0/bias");
  const auto q = model.output(0);
  for (int r = 0; r < 2; ++r) {
    double v = bv[0];
    for (int i = 0; i < 3; ++i) v += x[r * 3 + i] * wv[i];
    std::vector<double> a(4);
    double mean = 0;
    for (int k = 0; k < 4; ++k) {
      a[k] = ba[k];
      for (int i = 0; i < 3; ++i) a[k] += x[r * 3 + i] * wa[i * 4 + k];
      mean += a[k] / 4;
    }
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(q.data[r * 4 + k], v + a[k] - mean, 1e-12);
  }
}

TEST(DuelingQ, GradientsMatchFiniteDifferences) {
  nn::Model<double> model(nn::dueling_q_network_spec(3, 5, {8, 6}, nn::Activation::tanh()));
  model.initialize(3);
  std::vector<double> x(4 * 3);
  Rng rng(7);
  for (double& v : x) v = rng.normal();
  const nn::GradientCheckResult r =
      nn::check_gradients(model, nn::MatrixSpan<const double>(x.data(), 4, 3));
  EXPECT_LT(r.max_relative_error, 1e-6) << r.worst;
  EXPECT_GT(r.checked, 100u);
}

TEST(DuelingQ, WiringErrorsAreNamed) {
  nlohmann::json one_input = aggregate_spec(3, 2);
  one_input["blocks"][2]["inputs"] = {"advantage"};
  EXPECT_ERROR_CONTAINS(nn::ModelSpec::from_json(one_input), "dueling_q takes two inputs");
  nlohmann::json swapped = aggregate_spec(3, 2);
  swapped["blocks"][2]["inputs"] = {"advantage", "value"};
  EXPECT_ERROR_CONTAINS(nn::ModelSpec::from_json(swapped), "must have width 1");
  nlohmann::json field = aggregate_spec(3, 2);
  field["blocks"][2]["layers"][0]["units"] = 3;
  EXPECT_ERROR_CONTAINS(nn::ModelSpec::from_json(field), "units");
}

TEST(DuelingQ, NetworkSpecHasTrunkHeadsAndQ) {
  const nn::ModelSpec spec = nn::dueling_q_network_spec(4, 2, {64, 64}, nn::Activation::relu());
  nn::Model<float> model(spec);
  EXPECT_EQ(model.num_outputs(), 1u);
  EXPECT_EQ(model.output_name(0), "q");
  EXPECT_EQ(model.output_size(0), 2);
  EXPECT_NE(model.find_parameter("value/dense_0/kernel"), nullptr);
  EXPECT_NE(model.find_parameter("advantage/dense_0/kernel"), nullptr);
  // The JSON form round-trips (policy folders store it).
  EXPECT_TRUE(nn::ModelSpec::from_json(spec.to_json()) == spec);
  // nn.Linear's bound 1/sqrt(fan_in).
  model.initialize(1);
  for (float w : model.parameter("trunk/dense_1/kernel")) EXPECT_LE(std::abs(w), 0.125f);
  EXPECT_ERROR_CONTAINS(nn::dueling_q_network_spec(4, 0, {64}, nn::Activation::relu()),
                        "num_actions");
}

// A stochastic policy whose logits are a dueling aggregate: the exporters lower the layer
// and prove both exports against the policy.
TEST(DuelingQ, OnnxAndCExportsAreProven) {
  nlohmann::json spec =
      nn::dueling_q_network_spec(4, 3, {16, 16}, nn::Activation::tanh()).to_json();
  spec["blocks"][3]["name"] = "pi";
  spec["blocks"].push_back(
      {{"name", "vf"}, {"inputs", {"trunk"}}, {"layers", {{{"type", "dense"}, {"units", 1}}}}});
  spec["outputs"] = {"pi", "vf"};
  Policy policy(export_testing::cartpole_observation_space(), Space::discrete(3),
                nn::ModelSpec::from_json(spec));
  export_testing::randomize(policy, 11);
  testing_io::ScratchDir dir;
  OnnxExportOptions onnx;
  onnx.require_verification = true;
  const ExportVerification v = export_onnx(policy, dir / "p.onnx", onnx);
  EXPECT_TRUE(v.verified()) << v.summary();
  CExportOptions c;
  c.require_verification = true;
  const ExportVerification vc = export_c(policy, dir.path(), c);
  EXPECT_TRUE(vc.verified()) << vc.summary();
}

}  // namespace
}  // namespace cairn
