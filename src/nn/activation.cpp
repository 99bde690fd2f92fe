#include "cairn/nn/activation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn::nn {
namespace {

using Kind = Activation::Kind;

struct NamedKind {
  std::string_view name;
  Kind kind;
};
constexpr NamedKind kNames[] = {
    {"identity", Kind::kIdentity}, {"tanh", Kind::kTanh},         {"relu", Kind::kRelu},
    {"elu", Kind::kElu},           {"silu", Kind::kSilu},         {"gelu", Kind::kGelu},
    {"sigmoid", Kind::kSigmoid},   {"softplus", Kind::kSoftplus}, {"leaky_relu", Kind::kLeakyRelu},
};

std::string known_names() {
  std::string s;
  for (const auto& n : kNames) {
    if (!s.empty()) s += ", ";
    s += n.name;
  }
  return s + ", swish";
}

double read_number(const nlohmann::json& j, const char* key, double fallback,
                   const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number()) throw Error(where + "." + key + " must be a number");
  return it->get<double>();
}

}  // namespace

std::string_view Activation::name() const {
  for (const auto& n : kNames) {
    if (n.kind == kind) return n.name;
  }
  return "identity";
}

bool Activation::derivative_needs_input() const {
  switch (kind) {
    case Kind::kIdentity:
    case Kind::kTanh:
    case Kind::kSigmoid:
    case Kind::kRelu:  // y > 0 exactly where x > 0
      return false;
    default:
      return true;
  }
}

bool Activation::operator==(const Activation& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kElu:
      return alpha == o.alpha;
    case Kind::kLeakyRelu:
      return negative_slope == o.negative_slope;
    case Kind::kSoftplus:
      return beta == o.beta && threshold == o.threshold;
    default:
      return true;
  }
}

nlohmann::json Activation::to_json() const {
  const Activation defaults = from_name(name(), "");
  if (*this == defaults) return std::string(name());
  nlohmann::json j = {{"type", std::string(name())}};
  if (kind == Kind::kElu) j["alpha"] = alpha;
  if (kind == Kind::kLeakyRelu) j["negative_slope"] = negative_slope;
  if (kind == Kind::kSoftplus) {
    j["beta"] = beta;
    j["threshold"] = threshold;
  }
  return j;
}

Activation Activation::from_name(std::string_view name, const std::string& where) {
  if (name == "swish") name = "silu";
  for (const auto& n : kNames) {
    if (n.name == name) {
      Activation a;
      a.kind = n.kind;
      return a;
    }
  }
  throw Error(where + ": unknown activation \"" + std::string(name) +
              "\" (known: " + known_names() + ")");
}

Activation Activation::from_json(const nlohmann::json& j, const std::string& where) {
  if (j.is_string()) return from_name(j.get<std::string>(), where);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw Error(where + " must be an activation name or an object with a \"type\" string");
  }
  Activation a = from_name(j["type"].get<std::string>(), where + ".type");
  for (const auto& [key, value] : j.items()) {
    (void)value;
    const bool known = key == "type" || (a.kind == Kind::kElu && key == "alpha") ||
                       (a.kind == Kind::kLeakyRelu && key == "negative_slope") ||
                       (a.kind == Kind::kSoftplus && (key == "beta" || key == "threshold"));
    if (!known) {
      throw Error(where + ": unknown field \"" + key + "\" for activation " +
                  std::string(a.name()));
    }
  }
  a.alpha = read_number(j, "alpha", a.alpha, where);
  a.negative_slope = read_number(j, "negative_slope", a.negative_slope, where);
  a.beta = read_number(j, "beta", a.beta, where);
  a.threshold = read_number(j, "threshold", a.threshold, where);
  if (a.kind == Kind::kSoftplus && !(a.beta > 0)) throw Error(where + ".beta must be positive");
  return a;
}

namespace {

// Eigen computes the head and tail of a dynamic-size expression with scalar code whose
// tanh, exp and expm1 may differ in the last bit from its vector code, so an element's
// result would depend on where it sits in memory (and so on the batch size).
// Expressions with those functions are evaluated a fixed chunk of 16 elements at a
// time, with vector code only (a short last chunk is padded); expressions of exact
// operations (+, -, *, /, comparisons), whose scalar and vector results are equal, and
// loops of scalar calls run on the whole array.
constexpr Index kChunk = 16;
template <typename T>
using Chunk = Eigen::Array<T, kChunk, 1>;

// Elements [i0, i0 + width) of `base` (zeros when base is null: an unused operand).
template <typename T>
void load_chunk(const T* base, Index i0, Index width, Chunk<T>& dst) {
  if (base == nullptr) {
    dst.setZero();
  } else if (width == kChunk) {
    dst = Eigen::Map<const Chunk<T>>(base + i0);
  } else {
    dst.setZero();
    std::copy(base + i0, base + i0 + width, dst.data());
  }
}

bool forward_needs_chunks(Kind kind) {
  switch (kind) {
    case Kind::kTanh:
    case Kind::kElu:
    case Kind::kSilu:
    case Kind::kSigmoid:
    case Kind::kSoftplus:
      return true;
    default:
      return false;
  }
}

bool backward_needs_chunks(Kind kind) {
  return kind == Kind::kElu || kind == Kind::kSilu;
}

// X and Y are Eigen arrays: a Chunk or a Map of a whole array.
template <typename T, typename X, typename Y>
void forward_expr(const Activation& act, const X& x, Y& y) {
  const T one(1), zero(0);
  switch (act.kind) {
    case Kind::kIdentity:
      y = x;
      break;
    case Kind::kTanh:
      y = x.tanh();
      break;
    case Kind::kRelu:
      y = x.max(zero);
      break;
    case Kind::kElu: {
      const T alpha = static_cast<T>(act.alpha);
      y = (x > zero).select(x, alpha * x.expm1());
      break;
    }
    case Kind::kSilu:
      y = x / (one + (-x).exp());
      break;
    case Kind::kGelu:
      for (Index i = 0; i < x.size(); ++i) {
        const T v = x[i];
        y[i] = v * T(0.5) * (one + std::erf(v * static_cast<T>(M_SQRT1_2)));
      }
      break;
    case Kind::kSigmoid:
      y = one / (one + (-x).exp());
      break;
    case Kind::kSoftplus: {
      const T beta = static_cast<T>(act.beta), threshold = static_cast<T>(act.threshold);
      y = (x * beta > threshold).select(x, (x * beta).exp().log1p() / beta);
      break;
    }
    case Kind::kLeakyRelu: {
      const T slope = static_cast<T>(act.negative_slope);
      y = (x > zero).select(x, x * slope);
      break;
    }
  }
}

// x is not read when the derivative does not need the input.
template <typename T, typename X, typename Y, typename DX>
void backward_expr(const Activation& act, const X& x, const Y& y, const Y& dy, DX& dx) {
  const T one(1), zero(0);
  switch (act.kind) {
    case Kind::kIdentity:
      dx = dy;
      break;
    case Kind::kTanh:
      dx = dy * (one - y * y);
      break;
    case Kind::kSigmoid:
      dx = dy * (one - y) * y;
      break;
    case Kind::kRelu:
      dx = (y > zero).select(dy, zero);
      break;
    case Kind::kElu: {
      const T alpha = static_cast<T>(act.alpha);
      dx = (x > zero).select(dy, dy * alpha * x.exp());
      break;
    }
    case Kind::kSilu: {
      // d/dx x sigmoid(x) = s (1 + x (1 - s)), s = sigmoid(x) from the same vector exp as
      // the forward pass (a scalar expf per element made this most of a silu network's
      // training step).
      const auto s = (one / (one + (-x).exp())).eval();
      dx = dy * s * (one + x * (one - s));
      break;
    }
    case Kind::kGelu: {
      const T beta = static_cast<T>(M_2_SQRTPI * M_SQRT1_2 * 0.5);
      for (Index i = 0; i < dx.size(); ++i) {
        const T v = x[i];
        const T cdf = T(0.5) * (one + std::erf(v * static_cast<T>(M_SQRT1_2)));
        const T pdf = std::exp(T(-0.5) * v * v) * beta;
        dx[i] = dy[i] * (cdf + v * pdf);
      }
      break;
    }
    case Kind::kSoftplus: {
      const T beta = static_cast<T>(act.beta), threshold = static_cast<T>(act.threshold);
      for (Index i = 0; i < dx.size(); ++i) {
        const T bx = x[i] * beta;
        if (bx > threshold) {
          dx[i] = dy[i];
        } else {
          const T z = std::exp(bx);
          dx[i] = dy[i] * z / (z + one);
        }
      }
      break;
    }
    case Kind::kLeakyRelu: {
      const T slope = static_cast<T>(act.negative_slope);
      dx = (x > zero).select(dy, dy * slope);
      break;
    }
  }
}

}  // namespace

template <typename T>
void activation_forward(const Activation& act, const T* x_ptr, T* y_ptr, Index n) {
  if (act.kind == Kind::kIdentity) {
    if (x_ptr != y_ptr) std::copy(x_ptr, x_ptr + n, y_ptr);
    return;
  }
  if (!forward_needs_chunks(act.kind)) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    const Eigen::Map<const A> x(x_ptr, n);
    Eigen::Map<A> y(y_ptr, n);
    forward_expr<T>(act, x, y);
    return;
  }
  Chunk<T> x, y;
  for (Index i0 = 0; i0 < n; i0 += kChunk) {
    const Index width = std::min(kChunk, n - i0);
    load_chunk(x_ptr, i0, width, x);
    forward_expr<T>(act, x, y);
    std::copy(y.data(), y.data() + width, y_ptr + i0);
  }
}

template <typename T>
void activation_backward(const Activation& act, const T* x_ptr, const T* y_ptr, const T* dy_ptr,
                         T* dx_ptr, Index n) {
  if (act.kind == Kind::kIdentity) {
    if (dx_ptr != dy_ptr) std::copy(dy_ptr, dy_ptr + n, dx_ptr);
    return;
  }
  const bool needs_input = act.derivative_needs_input();
  if (!backward_needs_chunks(act.kind)) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    // An unused operand is mapped onto dy (never read), so no map is of a null pointer.
    const Eigen::Map<const A> x(needs_input ? x_ptr : dy_ptr, n);
    const Eigen::Map<const A> y(y_ptr != nullptr ? y_ptr : dy_ptr, n), dy(dy_ptr, n);
    Eigen::Map<A> dx(dx_ptr, n);
    backward_expr<T>(act, x, y, dy, dx);
    return;
  }
  Chunk<T> x, y, dy, dx;
  for (Index i0 = 0; i0 < n; i0 += kChunk) {
    const Index width = std::min(kChunk, n - i0);
    load_chunk(needs_input ? x_ptr : nullptr, i0, width, x);
    load_chunk(y_ptr, i0, width, y);
    load_chunk(dy_ptr, i0, width, dy);
    backward_expr<T>(act, x, y, dy, dx);
    std::copy(dx.data(), dx.data() + width, dx_ptr + i0);
  }
}

template void activation_forward<float>(const Activation&, const float*, float*, Index);
template void activation_forward<double>(const Activation&, const double*, double*, Index);
template void activation_backward<float>(const Activation&, const float*, const float*,
                                         const float*, float*, Index);
template void activation_backward<double>(const Activation&, const double*, const double*,
                                          const double*, double*, Index);

}  // namespace cairn::nn
