// ScaledTanh: a custom layer with its export lowering, the worked example of
// docs/guide-custom-env-and-model.md and docs/export.md.
//
// y = scale * tanh(x), element-wise, with `scale` a learnt [width] vector that starts at
// `initial_scale` (the layer's one field, default 1). One input; the output has its width.
//
// The layer is its own LayerLowering: lower_onnx adds Tanh and Mul nodes, lower_c writes
// one loop. Every export is verified against forward() (export_verification.h), so a
// lowering that computed something else would be caught at export.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/export/layer_lowering.h"
#include "cairn/nn/layer.h"
#include "cairn/nn/layer_registry.h"

namespace example {

template <typename T>
class ScaledTanh : public cairn::nn::Layer<T>, public cairn::nn::LayerLowering {
 public:
  // Reads the layer's fields from its JSON object; LayerConfig refuses unknown ones.
  explicit ScaledTanh(cairn::nn::LayerConfig& config)
      : initial_scale_(config.number("initial_scale", 1.0)) {}

  std::string type() const override { return "scaled_tanh"; }
  nlohmann::json config() const override { return {{"initial_scale", initial_scale_}}; }

  cairn::nn::Index build(std::span<const cairn::nn::Index> input_widths) override {
    if (input_widths.size() != 1) throw cairn::Error("scaled_tanh takes exactly one input");
    width_ = input_widths[0];
    return width_;
  }
  std::vector<cairn::nn::ParamSpec> parameters() const override {
    return {{"scale", {width_}, cairn::nn::InitSpec::constant(initial_scale_)}};
  }

  void forward(const cairn::nn::ForwardPass<T>& pass) const override {
    const T* x = pass.inputs[0].data;
    const T* scale = pass.params[0];
    for (cairn::nn::Index r = 0; r < pass.output.rows; ++r) {
      for (cairn::nn::Index k = 0; k < width_; ++k) {
        pass.output.data[r * width_ + k] = scale[k] * std::tanh(x[r * width_ + k]);
      }
    }
  }

  void backward(const cairn::nn::BackwardPass<T>& pass) const override {
    const T* x = pass.inputs[0].data;
    const T* scale = pass.params[0];
    T* scale_grad = pass.param_grads[0];
    const T* g = pass.output_grad.data;
    const bool want_input_grad = !pass.input_grads[0].empty();
    for (cairn::nn::Index r = 0; r < pass.output.rows; ++r) {
      for (cairn::nn::Index k = 0; k < width_; ++k) {
        const cairn::nn::Index i = r * width_ + k;
        const T t = std::tanh(x[i]);
        scale_grad[k] += g[i] * t;  // accumulate
        if (want_input_grad) pass.input_grads[0].data[i] = g[i] * scale[k] * (T(1) - t * t);
      }
    }
  }

  // Export: the layer lowers itself.
  const cairn::nn::LayerLowering* lowering() const override { return this; }

  std::optional<std::string> lower_onnx(cairn::nn::OnnxLayerBuilder& onnx) const override {
    const std::string t = onnx.add_node("Tanh", {onnx.input(0)})[0];
    return onnx.add_node("Mul", {t, onnx.parameter("scale")})[0];
  }

  bool lower_c(cairn::nn::CLayerWriter& c) const override {
    c.line("for (int k = 0; k < " + std::to_string(c.output_width()) + "; ++k) " + c.output() +
           "[k] = " + c.parameter("scale") + "[k] * tanhf(" + c.input(0) + "[k]);");
    return true;
  }

 private:
  double initial_scale_;
  cairn::nn::Index width_ = 0;
};

// Registers "scaled_tanh" once (a second call does nothing).
inline void register_scaled_tanh() {
  if (!cairn::nn::LayerRegistry::global().contains("scaled_tanh")) {
    cairn::nn::register_layer<ScaledTanh>("scaled_tanh");
  }
}

}  // namespace example
