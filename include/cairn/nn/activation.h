// Elementwise activation functions with their derivatives, shared by the standalone
// activation layers and by dense layers with a fused activation.
//
// Semantics follow PyTorch's defaults: gelu is the exact erf form, softplus switches
// to the identity above `threshold` (in units of beta * x), elu uses expm1, and
// derivatives are the ones torch.autograd computes.
//
// Thread safety: plain values and pure functions. Nothing here allocates except the
// JSON and string conversions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cairn/nn/tensor.h"

namespace cairn::nn {

struct Activation {
  enum class Kind { kIdentity, kTanh, kRelu, kElu, kSilu, kGelu, kSigmoid, kSoftplus, kLeakyRelu };

  Kind kind = Kind::kIdentity;
  double alpha = 1.0;            // elu: value approached for x -> -inf is -alpha
  double negative_slope = 0.01;  // leaky_relu
  double beta = 1.0;             // softplus: log(1 + exp(beta x)) / beta
  double threshold = 20.0;       // softplus: identity where beta x > threshold

  static Activation identity() { return {}; }
  static Activation tanh() { return {.kind = Kind::kTanh}; }
  static Activation relu() { return {.kind = Kind::kRelu}; }
  static Activation elu(double alpha = 1.0) { return {.kind = Kind::kElu, .alpha = alpha}; }
  static Activation silu() { return {.kind = Kind::kSilu}; }
  static Activation gelu() { return {.kind = Kind::kGelu}; }
  static Activation sigmoid() { return {.kind = Kind::kSigmoid}; }
  static Activation softplus(double beta = 1.0, double threshold = 20.0) {
    return {.kind = Kind::kSoftplus, .beta = beta, .threshold = threshold};
  }
  static Activation leaky_relu(double negative_slope = 0.01) {
    return {.kind = Kind::kLeakyRelu, .negative_slope = negative_slope};
  }

  // The registered name: "identity", "tanh", "relu", "elu", "silu", "gelu", "sigmoid",
  // "softplus" or "leaky_relu".
  std::string_view name() const;
  // True if the derivative needs the activation's input; false if the output suffices.
  bool derivative_needs_input() const;

  // JSON form: the bare name when all hyperparameters have their defaults, otherwise an
  // object {"type": name, <hyperparameter>: value}.
  nlohmann::json to_json() const;
  // Accepts either JSON form; "swish" is accepted as a synonym of "silu". Throws
  // cairn::Error naming `where` for an unknown name, an unknown field or a bad value.
  static Activation from_json(const nlohmann::json& j, const std::string& where);
  // Looks up a name with default hyperparameters; nullptr-free: throws cairn::Error
  // (naming `where`) when the name is unknown.
  static Activation from_name(std::string_view name, const std::string& where);

  bool operator==(const Activation& other) const;
};

// y[i] = f(x[i]) for i < n. `x` and `y` may be the same array. Does not allocate.
template <typename T>
void activation_forward(const Activation& act, const T* x, T* y, Index n);

// dx[i] = dy[i] * f'(x[i]). `x` may be nullptr when !act.derivative_needs_input();
// `y` is the forward output. `dx` may alias `dy`. Does not allocate.
template <typename T>
void activation_backward(const Activation& act, const T* x, const T* y, const T* dy, T* dx,
                         Index n);

}  // namespace cairn::nn
