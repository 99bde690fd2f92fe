// Custom layers and the exporters: a layer with a LayerLowering exports (and is proven);
// one without fails naming the layer; a lowering that computes something else is caught
// by the verification.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "cairn/error.h"
#include "cairn/export/c_export.h"
#include "cairn/export/layer_lowering.h"
#include "cairn/export/onnx_export.h"
#include "cairn/nn/layer_registry.h"
#include "error_matchers.h"
#include "export/export_test_policies.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using nn::CLayerWriter;
using nn::Index;
using nn::OnnxLayerBuilder;
using testing_io::ScratchDir;

// y = x * w + c * x^2 (w a learnable [width] vector). `kLowerFactor` scales the
// exported quadratic term: 1 is a faithful lowering, anything else a wrong one. With
// kOnnx/kC false the lowering declines that target.
template <typename T, int kLowerFactor, bool kOnnx, bool kC>
class ScaleLayer : public nn::Layer<T>, public nn::LayerLowering {
 public:
  explicit ScaleLayer(nn::LayerConfig& c) : c_(c.number("c", 0.25)) {}
  std::string type() const override { return name_; }
  nlohmann::json config() const override { return {{"c", c_}}; }
  Index build(std::span<const Index> widths) override {
    if (widths.size() != 1) throw Error("scale takes one input");
    width_ = widths[0];
    return width_;
  }
  std::vector<nn::ParamSpec> parameters() const override {
    return {{"w", {width_}, nn::InitSpec::constant(1.0)}};
  }
  void forward(const nn::ForwardPass<T>& p) const override {
    for (Index r = 0; r < p.output.rows; ++r) {
      for (Index k = 0; k < width_; ++k) {
        const T x = p.inputs[0].data[r * width_ + k];
        p.output.data[r * width_ + k] = x * p.params[0][k] + static_cast<T>(c_) * x * x;
      }
    }
  }
  void backward(const nn::BackwardPass<T>&) const override {}

  const nn::LayerLowering* lowering() const override { return this; }
  std::optional<std::string> lower_onnx(OnnxLayerBuilder& g) const override {
    if (!kOnnx) return std::nullopt;
    const float c = static_cast<float>(c_) * static_cast<float>(kLowerFactor);
    const std::string xw = g.add_node("Mul", {g.input(0), g.parameter("w")})[0];
    const std::string xx = g.add_node("Mul", {g.input(0), g.input(0)})[0];
    const std::string cxx = g.add_node("Mul", {g.constant("c", std::span(&c, 1), {}), xx})[0];
    return g.add_node("Add", {xw, cxx})[0];
  }
  bool lower_c(CLayerWriter& w) const override {
    if (!kC) return false;
    const std::string x = w.input(0);
    const std::string c =
        nn::c_float_literal(static_cast<float>(c_) * static_cast<float>(kLowerFactor));
    w.line("for (int k = 0; k < " + std::to_string(w.output_width()) + "; ++k) " + w.output() +
           "[k] = " + x + "[k] * " + w.parameter("w") + "[k] + " + c + " * " + x + "[k] * " + x +
           "[k];");
    return true;
  }

  static inline std::string name_;

 private:
  double c_;
  Index width_ = 0;
};

template <typename T>
using GoodScale = ScaleLayer<T, 1, true, true>;
template <typename T>
using WrongScale = ScaleLayer<T, 3, true, true>;
template <typename T>
using OnnxOnlyScale = ScaleLayer<T, 1, true, false>;

// The same computation, without any lowering.
template <typename T>
class UnlowerableLayer : public GoodScale<T> {
 public:
  using GoodScale<T>::GoodScale;
  std::string type() const override { return "test_export_unlowerable"; }
  const nn::LayerLowering* lowering() const override { return nullptr; }
};

void register_layers() {
  static std::once_flag once;
  std::call_once(once, [] {
    GoodScale<float>::name_ = GoodScale<double>::name_ = "test_export_scale";
    WrongScale<float>::name_ = WrongScale<double>::name_ = "test_export_wrong_scale";
    OnnxOnlyScale<float>::name_ = OnnxOnlyScale<double>::name_ = "test_export_onnx_only";
    nn::register_layer<GoodScale>("test_export_scale");
    nn::register_layer<WrongScale>("test_export_wrong_scale");
    nn::register_layer<OnnxOnlyScale>("test_export_onnx_only");
    nn::register_layer<UnlowerableLayer>("test_export_unlowerable");
  });
}

// CartPole shapes with the custom layer inside the policy network.
Policy policy_with(const std::string& layer_type) {
  register_layers();
  const nlohmann::json spec = {
      {"input_size", 4},
      {"blocks",
       {{{"name", "pi"},
         {"layers",
          {{{"type", "dense"}, {"units", 8}, {"activation", "tanh"}},
           {{"type", layer_type}, {"c", 0.3}},
           {{"type", "dense"}, {"units", 2}}}}},
        {{"name", "vf"}, {"layers", {{{"type", "dense"}, {"units", 1}}}}}}},
      {"outputs", {"pi", "vf"}}};
  Policy p(export_testing::cartpole_observation_space(), Space::discrete(2),
           nn::ModelSpec::from_json(spec));
  export_testing::randomize(p, 9);
  return p;
}

TEST(ExportLowering, CustomLayerWithLoweringExportsAndIsProven) {
  const Policy policy = policy_with("test_export_scale");
  ScratchDir dir;
  OnnxExportOptions onnx;
  onnx.require_verification = true;
  const ExportVerification v = export_onnx(policy, dir / "p.onnx", onnx);
  EXPECT_TRUE(v.verified()) << v.summary();
  CExportOptions c;
  c.require_verification = true;
  const ExportVerification vc = export_c(policy, dir.path(), c);
  EXPECT_TRUE(vc.verified()) << vc.summary();
}

TEST(ExportLowering, LayerWithoutLoweringIsNamed) {
  const Policy policy = policy_with("test_export_unlowerable");
  ScratchDir dir;
  for (const auto& export_fn : {std::function<void()>([&] { export_onnx(policy, dir / "p.onnx"); }),
                                std::function<void()>([&] { export_c(policy, dir.path()); })}) {
    const std::string msg = cairn::testing::error_of(export_fn);
    EXPECT_NE(msg.find("layer \"pi/test_export_unlowerable_0\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("type \"test_export_unlowerable\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("LayerLowering"), std::string::npos) << msg;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "p.onnx"));
  EXPECT_FALSE(std::filesystem::exists(dir / "cairn_policy.c"));
}

TEST(ExportLowering, LoweringThatDeclinesATargetIsNamed) {
  const Policy policy = policy_with("test_export_onnx_only");
  ScratchDir dir;
  EXPECT_TRUE(export_onnx(policy, dir / "p.onnx").verified());
  const std::string msg = cairn::testing::error_of([&] { export_c(policy, dir.path()); });
  EXPECT_NE(msg.find("pi/test_export_onnx_only_0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has no C lowering"), std::string::npos) << msg;
}

TEST(ExportLowering, WrongLoweringFailsTheExport) {
  const Policy policy = policy_with("test_export_wrong_scale");
  ScratchDir dir;
  const std::string onnx_msg =
      cairn::testing::error_of([&] { export_onnx(policy, dir / "p.onnx"); });
  EXPECT_NE(onnx_msg.find("failed verification"), std::string::npos) << onnx_msg;
  EXPECT_NE(onnx_msg.find("dist_inputs differs from the policy"), std::string::npos) << onnx_msg;
  EXPECT_NE(onnx_msg.find("max abs deviation"), std::string::npos) << onnx_msg;
  std::ifstream record(dir / "p.onnx.verification.json");
  EXPECT_EQ(nlohmann::json::parse(record)["status"], "failed");

  const std::string c_msg = cairn::testing::error_of([&] { export_c(policy, dir.path()); });
  EXPECT_NE(c_msg.find("failed verification"), std::string::npos) << c_msg;
  std::ifstream c_record(dir / "cairn_policy.verification.json");
  EXPECT_EQ(nlohmann::json::parse(c_record)["verified"], false);
}

}  // namespace
}  // namespace cairn
