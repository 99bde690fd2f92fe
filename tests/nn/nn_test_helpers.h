// Helpers shared by the nn tests (header-only: only *_test.cpp files are compiled).
#pragma once

#include <mutex>

#include "cairn/error.h"
#include "cairn/nn/layer_registry.h"
#include "cairn/nn/model.h"
#include "cairn/random/random.h"

namespace cairn::nn::testing {

// Sets every parameter to an independent N(0, scale^2) draw, so gradient checks see
// generic values (not zeros / ones from the initialisers).
template <typename T>
void randomize_parameters(Model<T>& model, uint64_t seed, double scale = 0.5) {
  Rng rng(seed);
  for (T& p : model.flat_parameters()) p = static_cast<T>(scale * rng.normal());
}

template <typename T>
RowMatrix<T> random_matrix(Index rows, Index cols, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  RowMatrix<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>(scale * rng.normal());
  return m;
}

// y = x * w (elementwise, w a learnable [width] vector) + x^2 * c; with a bug factor
// applied to the input gradient and/or the parameter gradient when non-zero. Used to
// test custom registration and that the gradient checker catches wrong backwards.
template <typename T, int kInputBugPpm, int kParamBugPpm>
class TestScaleLayer : public Layer<T> {
 public:
  explicit TestScaleLayer(LayerConfig& c) : c_(c.number("c", 0.25)) {}
  std::string type() const override { return "test_scale"; }
  nlohmann::json config() const override { return {{"c", c_}}; }
  Index build(std::span<const Index> widths) override {
    if (widths.size() != 1) throw Error("test_scale takes one input");
    width_ = widths[0];
    return width_;
  }
  std::vector<ParamSpec> parameters() const override {
    return {{"w", {width_}, InitSpec::constant(1.0)}};
  }
  void forward(const ForwardPass<T>& p) const override {
    const auto x = p.inputs[0].map().array();
    const Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>> w(p.params[0], width_);
    p.output.map().array() = x.rowwise() * w + x.square() * static_cast<T>(c_);
  }
  void backward(const BackwardPass<T>& p) const override {
    const auto x = p.inputs[0].map().array();
    const auto dy = p.output_grad.map().array();
    const Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>> w(p.params[0], width_);
    const T param_bug = static_cast<T>(1.0 + kParamBugPpm * 1e-6);
    const T input_bug = static_cast<T>(1.0 + kInputBugPpm * 1e-6);
    if (!p.param_grads.empty()) {
      Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>> dw(p.param_grads[0], width_);
      dw += (dy * x).colwise().sum() * param_bug;
    }
    if (!p.input_grads[0].empty()) {
      p.input_grads[0].map().array() =
          (dy.rowwise() * w + dy * x * static_cast<T>(2 * c_)) * input_bug;
    }
  }

 private:
  double c_;
  Index width_ = 0;
};

template <typename T>
using GoodScale = TestScaleLayer<T, 0, 0>;
template <typename T>
using InputBugScale = TestScaleLayer<T, 1000, 0>;  // input gradient 0.1% too large
template <typename T>
using ParamBugScale = TestScaleLayer<T, 0, 1000>;  // parameter gradient 0.1% too large

inline void register_test_layers() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_layer<GoodScale>("test_scale");
    register_layer<InputBugScale>("test_scale_input_bug");
    register_layer<ParamBugScale>("test_scale_param_bug");
  });
}

}  // namespace cairn::nn::testing
