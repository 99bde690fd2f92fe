#include "cairn/nn/initializers.h"

#include <Eigen/Dense>  // after tensor.h (via initializers.h): see tensor.h
#include <cmath>

#include "cairn/error.h"
#include "cairn/nn/tensor.h"

namespace cairn::nn {
namespace {

using Kind = InitSpec::Kind;
using Mode = InitSpec::Mode;
using Distribution = InitSpec::Distribution;

// Stddev of a standard normal truncated to [-2, 2] (as in JAX and Keras).
constexpr double kTruncatedNormalStddev = 0.87962566103423978;

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kFanIn:
      return "fan_in";
    case Mode::kFanOut:
      return "fan_out";
    case Mode::kFanAvg:
      return "fan_avg";
  }
  return "fan_in";
}

const char* distribution_name(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kNormal:
      return "normal";
    case Distribution::kTruncatedNormal:
      return "truncated_normal";
  }
  return "uniform";
}

double number_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw Error(where + "." + key + " is required");
  if (!it->is_number()) throw Error(where + "." + key + " must be a number");
  return it->get<double>();
}

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw Error(where + "." + key + " is required");
  if (!it->is_string()) throw Error(where + "." + key + " must be a string");
  return it->get<std::string>();
}

void only_fields(const nlohmann::json& j, std::initializer_list<const char*> allowed,
                 const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    (void)value;
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) throw Error(where + ": unknown field \"" + key + "\"");
  }
}

void orthogonal(std::span<const int64_t> shape, double gain, std::span<double> out, Rng& rng) {
  const Index cols = static_cast<Index>(shape.back());
  const Index rows = static_cast<Index>(shape_numel(shape)) / cols;
  // Row-major draws, as torch fills its flattened [rows, cols] tensor.
  Eigen::MatrixXd a(rows, cols);
  for (Index r = 0; r < rows; ++r) {
    for (Index c = 0; c < cols; ++c) a(r, c) = rng.normal();
  }
  const bool transposed = rows < cols;
  if (transposed) a.transposeInPlace();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
  const Eigen::VectorXd d = qr.matrixQR().diagonal();
  for (Index c = 0; c < q.cols(); ++c) {
    const double sign = d(c) > 0 ? 1.0 : (d(c) < 0 ? -1.0 : 0.0);
    q.col(c) *= sign;
  }
  if (transposed) q.transposeInPlace();
  for (Index r = 0; r < rows; ++r) {
    for (Index c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = gain * q(r, c);
  }
}

}  // namespace

nlohmann::json InitSpec::to_json() const {
  switch (kind) {
    case Kind::kZeros:
      return {{"type", "zeros"}};
    case Kind::kConstant:
      return {{"type", "constant"}, {"value", value}};
    case Kind::kOrthogonal:
      return {{"type", "orthogonal"}, {"gain", gain}};
    case Kind::kUniform:
      return {{"type", "uniform"}, {"limit", value}};
    case Kind::kVarianceScaling:
      return {{"type", "variance_scaling"},
              {"scale", scale},
              {"mode", mode_name(mode)},
              {"distribution", distribution_name(distribution)}};
  }
  return {};
}

InitSpec InitSpec::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + " must be an object with a \"type\" string");
  const std::string type = string_field(j, "type", where);
  if (type == "zeros") {
    only_fields(j, {"type"}, where);
    return zeros();
  }
  if (type == "constant") {
    only_fields(j, {"type", "value"}, where);
    return constant(number_field(j, "value", where));
  }
  if (type == "uniform") {
    only_fields(j, {"type", "limit"}, where);
    const double limit = number_field(j, "limit", where);
    if (!(std::isfinite(limit) && limit >= 0)) {
      throw Error(where + ".limit must be a finite number >= 0 (got " + std::to_string(limit) +
                  ")");
    }
    return uniform(limit);
  }
  if (type == "orthogonal") {
    only_fields(j, {"type", "gain"}, where);
    return orthogonal(j.contains("gain") ? number_field(j, "gain", where) : 1.0);
  }
  if (type == "glorot_uniform" || type == "glorot_normal" || type == "he_uniform" ||
      type == "he_normal" || type == "lecun_normal") {
    only_fields(j, {"type"}, where);
    if (type == "glorot_uniform") return glorot_uniform();
    if (type == "glorot_normal") return glorot_normal();
    if (type == "he_uniform") return he_uniform();
    if (type == "he_normal") return he_normal();
    return lecun_normal();
  }
  if (type == "variance_scaling") {
    only_fields(j, {"type", "scale", "mode", "distribution"}, where);
    InitSpec s = variance_scaling(1.0, Mode::kFanIn, Distribution::kUniform);
    if (j.contains("scale")) s.scale = number_field(j, "scale", where);
    if (!(s.scale > 0)) throw Error(where + ".scale must be positive");
    if (j.contains("mode")) {
      const std::string m = string_field(j, "mode", where);
      if (m == "fan_in") {
        s.mode = Mode::kFanIn;
      } else if (m == "fan_out") {
        s.mode = Mode::kFanOut;
      } else if (m == "fan_avg") {
        s.mode = Mode::kFanAvg;
      } else {
        throw Error(where + ".mode must be fan_in, fan_out or fan_avg (got \"" + m + "\")");
      }
    }
    if (j.contains("distribution")) {
      const std::string d = string_field(j, "distribution", where);
      if (d == "uniform") {
        s.distribution = Distribution::kUniform;
      } else if (d == "normal") {
        s.distribution = Distribution::kNormal;
      } else if (d == "truncated_normal") {
        s.distribution = Distribution::kTruncatedNormal;
      } else {
        throw Error(where + ".distribution must be uniform, normal or truncated_normal (got \"" +
                    d + "\")");
      }
    }
    return s;
  }
  throw Error(where + ".type: unknown initializer \"" + type +
              "\" (known: zeros, constant, uniform, orthogonal, variance_scaling, glorot_uniform, "
              "glorot_normal, he_uniform, he_normal, lecun_normal)");
}

void fill(const InitSpec& spec, std::span<const int64_t> shape, std::span<double> out, Rng& rng) {
  if (out.size() != shape_numel(shape)) {
    throw Error("initializer: output size " + std::to_string(out.size()) +
                " does not match shape " + shape_string(shape));
  }
  switch (spec.kind) {
    case Kind::kZeros:
      for (double& v : out) v = 0.0;
      return;
    case Kind::kConstant:
      for (double& v : out) v = spec.value;
      return;
    case Kind::kUniform:
      for (double& v : out) v = rng.uniform(-spec.value, spec.value);
      return;
    case Kind::kOrthogonal:
      if (shape.size() < 2) {
        throw Error("orthogonal initializer needs a tensor with at least 2 dimensions, got " +
                    shape_string(shape));
      }
      if (out.empty()) return;
      orthogonal(shape, spec.gain, out, rng);
      return;
    case Kind::kVarianceScaling: {
      if (shape.size() < 2) {
        throw Error("variance_scaling initializer needs a tensor with at least 2 dimensions, got " +
                    shape_string(shape));
      }
      double receptive = 1.0;
      for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
      const double fan_in = static_cast<double>(shape[shape.size() - 2]) * receptive;
      const double fan_out = static_cast<double>(shape.back()) * receptive;
      const double fan = spec.mode == Mode::kFanIn    ? fan_in
                         : spec.mode == Mode::kFanOut ? fan_out
                                                      : (fan_in + fan_out) / 2.0;
      const double variance = spec.scale / std::max(1.0, fan);
      switch (spec.distribution) {
        case Distribution::kUniform: {
          const double limit = std::sqrt(3.0 * variance);
          for (double& v : out) v = rng.uniform(-limit, limit);
          return;
        }
        case Distribution::kNormal: {
          const double stddev = std::sqrt(variance);
          for (double& v : out) v = stddev * rng.normal();
          return;
        }
        case Distribution::kTruncatedNormal: {
          const double stddev = std::sqrt(variance) / kTruncatedNormalStddev;
          for (double& v : out) {
            double z = rng.normal();
            while (z < -2.0 || z > 2.0) z = rng.normal();
            v = stddev * z;
          }
          return;
        }
      }
    }
  }
}

}  // namespace cairn::nn
