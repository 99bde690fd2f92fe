// Parameter initialisers: zeros, constant, orthogonal (with gain) and variance scaling.
//
// Every initialiser draws from a cairn::Rng only, in double precision, in row-major
// element order, so a given seed gives the same weights bit for bit on every run (and
// float and double models built from one seed agree up to rounding to float).
//
// Fans follow JAX's convention for a kernel of shape [..., in, out]:
//   fan_in = in * receptive_field, fan_out = out * receptive_field,
//   receptive_field = product of the leading dimensions (1 for a 2-D [in, out] kernel).
//
// Thread safety: plain values; fill() uses only its arguments.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "cairn/nn/tensor.h"
#include "cairn/random/random.h"

namespace cairn::nn {

struct InitSpec {
  enum class Kind { kZeros, kConstant, kOrthogonal, kVarianceScaling, kUniform };
  enum class Mode { kFanIn, kFanOut, kFanAvg };
  enum class Distribution { kUniform, kNormal, kTruncatedNormal };

  Kind kind = Kind::kZeros;
  double value = 0.0;  // kConstant; kUniform: the limit
  double gain = 1.0;   // kOrthogonal
  double scale = 1.0;  // kVarianceScaling: variance = scale / fan
  Mode mode = Mode::kFanIn;
  Distribution distribution = Distribution::kUniform;

  static InitSpec zeros() { return {}; }
  static InitSpec constant(double v) { return {.kind = Kind::kConstant, .value = v}; }
  // A (semi-)orthogonal matrix times `gain`, as torch.nn.init.orthogonal_: QR of a
  // standard-normal matrix with Q's columns sign-corrected by sign(diag(R)).
  // Uniform on [-limit, limit] for any shape (biases included), as torch.nn.init.uniform_.
  // PyTorch's default nn.Linear bias is uniform(1 / sqrt(fan_in)).
  static InitSpec uniform(double limit) { return {.kind = Kind::kUniform, .value = limit}; }
  // PyTorch's default nn.Linear weight, kaiming_uniform_(a = sqrt(5)): uniform on
  // +-gain * sqrt(3 / fan_in) with gain^2 = 2 / (1 + 5), i.e. +-1 / sqrt(fan_in): variance
  // scaling with scale 1/3, fan_in, uniform.
  static InitSpec torch_linear_kernel() {
    return variance_scaling(1.0 / 3.0, Mode::kFanIn, Distribution::kUniform);
  }
  static InitSpec orthogonal(double gain = 1.0) {
    return {.kind = Kind::kOrthogonal, .gain = gain};
  }
  // As jax.nn.initializers.variance_scaling: uniform on [-sqrt(3 var), sqrt(3 var)],
  // normal with stddev sqrt(var), or a normal truncated to +-2 stddev whose stddev is
  // corrected (divided by 0.87962566103423978) so the variance is still `var`.
  static InitSpec variance_scaling(double scale, Mode mode, Distribution distribution) {
    return {
        .kind = Kind::kVarianceScaling, .scale = scale, .mode = mode, .distribution = distribution};
  }
  // Named cases, with JAX's definitions.
  static InitSpec glorot_uniform() {
    return variance_scaling(1.0, Mode::kFanAvg, Distribution::kUniform);
  }
  static InitSpec glorot_normal() {
    return variance_scaling(1.0, Mode::kFanAvg, Distribution::kTruncatedNormal);
  }
  static InitSpec he_uniform() {
    return variance_scaling(2.0, Mode::kFanIn, Distribution::kUniform);
  }
  static InitSpec he_normal() {
    return variance_scaling(2.0, Mode::kFanIn, Distribution::kTruncatedNormal);
  }
  static InitSpec lecun_normal() {
    return variance_scaling(1.0, Mode::kFanIn, Distribution::kTruncatedNormal);
  }

  // {"type": "zeros"} | {"type": "constant", "value": v} | {"type": "orthogonal", "gain": g}
  // | {"type": "uniform", "limit": l}
  // | {"type": "variance_scaling", "scale": s, "mode": "fan_in"|"fan_out"|"fan_avg",
  //    "distribution": "uniform"|"normal"|"truncated_normal"}.
  nlohmann::json to_json() const;
  // Accepts the forms above and the named cases {"type": "glorot_uniform"} (also
  // glorot_normal, he_uniform, he_normal, lecun_normal), which become variance_scaling.
  // Throws cairn::Error naming `where` and the offending field.
  static InitSpec from_json(const nlohmann::json& j, const std::string& where);

  bool operator==(const InitSpec&) const = default;
};

// Fills `out` (row-major, shape `shape`) according to `spec`, drawing from `rng`.
// Throws cairn::Error if the spec does not apply to the shape (orthogonal and variance
// scaling need at least 2 dimensions) or `out.size()` does not match. Allocates
// scratch for orthogonal initialisation only.
void fill(const InitSpec& spec, std::span<const int64_t> shape, std::span<double> out, Rng& rng);

}  // namespace cairn::nn
