// The built-in layers. Each is registered in the LayerRegistry under its type name
// and can also be used directly as an example of the Layer interface.
//
//   dense       y = act(x K + b); kernel K [in, units], bias b [units]
//   identity, tanh, relu, elu, silu (alias swish), gelu, sigmoid, softplus, leaky_relu
//               elementwise activation layers (see activation.h for hyperparameters)
//   layer_norm  per-row normalisation over the features, with learnable gain and bias,
//               as torch.nn.LayerNorm(width, eps) (biased variance, eps inside the sqrt)
//   concat      concatenation of all inputs along the feature axis, in input order
//
// JSON fields (besides "type" and optional "name"):
//   dense: units (required), activation (default "identity"),
//          kernel_init (default glorot_uniform), bias_init (default zeros)
//   elu: alpha (1.0); leaky_relu: negative_slope (0.01); softplus: beta (1), threshold (20)
//   layer_norm: eps (1e-5), gain_init (constant 1), bias_init (zeros)
//
// Thread safety: immutable after build(); forward/backward allocate nothing.
#pragma once

#include "cairn/nn/layer.h"

namespace cairn::nn {

template <typename T>
class Dense final : public Layer<T> {
 public:
  explicit Dense(LayerConfig& config);
  Dense(Index units, Activation activation, InitSpec kernel_init, InitSpec bias_init);

  std::string type() const override { return "dense"; }
  nlohmann::json config() const override;
  Index build(std::span<const Index> input_widths) override;
  std::vector<ParamSpec> parameters() const override;
  size_t workspace_size(Index batch) const override;
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;

  Index units() const { return units_; }
  const Activation& activation() const { return activation_; }

 private:
  Index in_ = 0;
  Index units_;
  Activation activation_;
  InitSpec kernel_init_, bias_init_;
};

template <typename T>
class ActivationLayer final : public Layer<T> {
 public:
  explicit ActivationLayer(Activation activation) : activation_(activation) {}

  std::string type() const override { return std::string(activation_.name()); }
  nlohmann::json config() const override;
  Index build(std::span<const Index> input_widths) override;
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;

  const Activation& activation() const { return activation_; }

 private:
  Activation activation_;
};

template <typename T>
class LayerNorm final : public Layer<T> {
 public:
  explicit LayerNorm(LayerConfig& config);

  std::string type() const override { return "layer_norm"; }
  nlohmann::json config() const override;
  Index build(std::span<const Index> input_widths) override;
  std::vector<ParamSpec> parameters() const override;
  size_t workspace_size(Index batch) const override;
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;

 private:
  Index width_ = 0;
  double eps_;
  InitSpec gain_init_, bias_init_;
};

template <typename T>
class Concat final : public Layer<T> {
 public:
  Concat() = default;

  std::string type() const override { return "concat"; }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  Index build(std::span<const Index> input_widths) override;
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;

 private:
  std::vector<Index> widths_;
};

}  // namespace cairn::nn
