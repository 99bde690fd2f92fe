#include "cairn/nn/layers.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/nn/gemm.h"

namespace cairn::nn {
namespace {

void expect_inputs(std::string_view type, std::span<const Index> widths, size_t n) {
  if (widths.size() != n) {
    throw Error(std::string(type) + " takes " + std::to_string(n) + " input" + (n == 1 ? "" : "s") +
                " but is given " + std::to_string(widths.size()) +
                " (a block with several inputs must start with a concat layer)");
  }
}

template <typename T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

}  // namespace

// --- Dense -------------------------------------------------------------------

template <typename T>
Dense<T>::Dense(LayerConfig& c)
    : units_(c.positive_integer("units")),
      activation_(c.activation("activation", Activation::identity())),
      kernel_init_(c.initializer("kernel_init", InitSpec::glorot_uniform())),
      bias_init_(c.initializer("bias_init", InitSpec::zeros())) {}

template <typename T>
Dense<T>::Dense(Index units, Activation activation, InitSpec kernel_init, InitSpec bias_init)
    : units_(units), activation_(activation), kernel_init_(kernel_init), bias_init_(bias_init) {
  if (units <= 0) throw Error("dense: units must be positive (got " + std::to_string(units) + ")");
}

template <typename T>
nlohmann::json Dense<T>::config() const {
  return {{"units", units_},
          {"activation", activation_.to_json()},
          {"kernel_init", kernel_init_.to_json()},
          {"bias_init", bias_init_.to_json()}};
}

template <typename T>
Index Dense<T>::build(std::span<const Index> widths) {
  expect_inputs("dense", widths, 1);
  in_ = widths[0];
  return units_;
}

template <typename T>
std::vector<ParamSpec> Dense<T>::parameters() const {
  return {{"kernel", {in_, units_}, kernel_init_}, {"bias", {units_}, bias_init_}};
}

template <typename T>
size_t Dense<T>::workspace_size(Index batch) const {
  size_t n = 0;
  if (activation_.kind != Activation::Kind::kIdentity) {
    n += static_cast<size_t>(batch * units_);  // d(pre-activation)
    if (activation_.derivative_needs_input()) n += static_cast<size_t>(batch * units_);
  }
  return n + static_cast<size_t>(in_ * units_);  // the kernel's transpose, for d(input)
}

template <typename T>
void Dense<T>::forward(const ForwardPass<T>& p) const {
  const MatrixSpan<const T>& x = p.inputs[0];
  T* y = p.output.data;
  const Index n = p.output.size();
  gemm<T>(x.rows, units_, in_, GemmLhs<T>{x.data, in_, 1}, p.params[0], units_, y, units_,
          GemmInit::kBias, p.params[1]);
  if (activation_.kind != Activation::Kind::kIdentity) {
    if (activation_.derivative_needs_input()) std::copy(y, y + n, p.workspace.data() + n);
    activation_forward(activation_, y, y, n);
  }
}

template <typename T>
void Dense<T>::backward(const BackwardPass<T>& p) const {
  const Index batch = p.output.rows;
  const Index n = batch * units_;
  const T* dz_ptr = p.output_grad.data;
  if (activation_.kind != Activation::Kind::kIdentity) {
    T* dz = p.workspace.data();
    const T* z = activation_.derivative_needs_input() ? p.workspace.data() + n : nullptr;
    activation_backward(activation_, z, p.output.data, p.output_grad.data, dz, n);
    dz_ptr = dz;
  }
  if (!p.param_grads.empty()) {
    accumulate_dense_gradients<T>(batch, in_, units_, p.inputs[0].data, dz_ptr, p.param_grads[0],
                                  p.param_grads[1], p.param_grad_block_stride);
  }
  if (!p.input_grads[0].empty()) {
    // d(input) = dz kernel^T, through the transposed kernel so every product reads its
    // right operand row by row.
    const size_t activation_scratch = p.workspace.size() - static_cast<size_t>(in_ * units_);
    T* kernel_t = p.workspace.data() + activation_scratch;
    transpose<T>(in_, units_, p.params[0], kernel_t);
    gemm<T>(batch, in_, units_, GemmLhs<T>{dz_ptr, units_, 1}, kernel_t, in_, p.input_grads[0].data,
            in_, GemmInit::kZero);
  }
}

// --- Activation layers ----------------------------------------------------------

template <typename T>
nlohmann::json ActivationLayer<T>::config() const {
  nlohmann::json j = activation_.to_json();
  if (j.is_string()) return nlohmann::json::object();
  j.erase("type");
  return j;
}

template <typename T>
Index ActivationLayer<T>::build(std::span<const Index> widths) {
  expect_inputs(activation_.name(), widths, 1);
  return widths[0];
}

template <typename T>
void ActivationLayer<T>::forward(const ForwardPass<T>& p) const {
  activation_forward(activation_, p.inputs[0].data, p.output.data, p.output.size());
}

template <typename T>
void ActivationLayer<T>::backward(const BackwardPass<T>& p) const {
  if (p.input_grads[0].empty()) return;
  activation_backward(activation_, p.inputs[0].data, p.output.data, p.output_grad.data,
                      p.input_grads[0].data, p.output.size());
}

// --- LayerNorm ---------------------------------------------------------------------

template <typename T>
LayerNorm<T>::LayerNorm(LayerConfig& c)
    : eps_(c.positive_number("eps", 1e-5)),
      gain_init_(c.initializer("gain_init", InitSpec::constant(1.0))),
      bias_init_(c.initializer("bias_init", InitSpec::zeros())) {}

template <typename T>
nlohmann::json LayerNorm<T>::config() const {
  return {{"eps", eps_}, {"gain_init", gain_init_.to_json()}, {"bias_init", bias_init_.to_json()}};
}

template <typename T>
Index LayerNorm<T>::build(std::span<const Index> widths) {
  expect_inputs("layer_norm", widths, 1);
  width_ = widths[0];
  return width_;
}

template <typename T>
std::vector<ParamSpec> LayerNorm<T>::parameters() const {
  return {{"gain", {width_}, gain_init_}, {"bias", {width_}, bias_init_}};
}

template <typename T>
size_t LayerNorm<T>::workspace_size(Index batch) const {
  return static_cast<size_t>(batch * width_ + batch);  // normalised input, 1/stddev per row
}

template <typename T>
void LayerNorm<T>::forward(const ForwardPass<T>& p) const {
  const auto x = p.inputs[0].map();
  auto y = p.output.map();
  const Index batch = x.rows();
  Eigen::Map<RowMatrix<T>> xhat(p.workspace.data(), batch, width_);
  T* rstd = p.workspace.data() + batch * width_;
  const Eigen::Map<const RowVector<T>> gain(p.params[0], width_), bias(p.params[1], width_);
  const T inv_n = T(1) / static_cast<T>(width_);
  for (Index r = 0; r < batch; ++r) {
    const T mean = x.row(r).sum() * inv_n;
    xhat.row(r) = x.row(r).array() - mean;
    const T var = xhat.row(r).squaredNorm() * inv_n;
    rstd[r] = T(1) / std::sqrt(var + static_cast<T>(eps_));
    xhat.row(r) *= rstd[r];
    y.row(r) = xhat.row(r).cwiseProduct(gain) + bias;
  }
}

template <typename T>
void LayerNorm<T>::backward(const BackwardPass<T>& p) const {
  const auto dy = p.output_grad.map();
  const Index batch = dy.rows();
  const Eigen::Map<const RowMatrix<T>> xhat(p.workspace.data(), batch, width_);
  const T* rstd = p.workspace.data() + batch * width_;
  const Eigen::Map<const RowVector<T>> gain(p.params[0], width_);
  if (!p.param_grads.empty()) {
    Eigen::Map<RowVector<T>> d_gain(p.param_grads[0], width_), d_bias(p.param_grads[1], width_);
    for (Index r = 0; r < batch; ++r) {
      d_gain += dy.row(r).cwiseProduct(xhat.row(r));
      d_bias += dy.row(r);
    }
  }
  if (p.input_grads[0].empty()) return;
  auto dx = p.input_grads[0].map();
  const T inv_n = T(1) / static_cast<T>(width_);
  for (Index r = 0; r < batch; ++r) {
    // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gain.
    dx.row(r) = dy.row(r).cwiseProduct(gain);
    const T mean_g = dx.row(r).sum() * inv_n;
    const T mean_gx = dx.row(r).dot(xhat.row(r)) * inv_n;
    dx.row(r) = rstd[r] * (dx.row(r).array() - mean_g - xhat.row(r).array() * mean_gx);
  }
}

// --- Concat ------------------------------------------------------------------------

template <typename T>
Index Concat<T>::build(std::span<const Index> widths) {
  if (widths.empty()) throw Error("concat needs at least one input");
  widths_.assign(widths.begin(), widths.end());
  Index total = 0;
  for (Index w : widths) total += w;
  return total;
}

template <typename T>
void Concat<T>::forward(const ForwardPass<T>& p) const {
  auto y = p.output.map();
  Index offset = 0;
  for (size_t i = 0; i < widths_.size(); ++i) {
    y.middleCols(offset, widths_[i]) = p.inputs[i].map();
    offset += widths_[i];
  }
}

template <typename T>
void Concat<T>::backward(const BackwardPass<T>& p) const {
  const auto dy = p.output_grad.map();
  Index offset = 0;
  for (size_t i = 0; i < widths_.size(); ++i) {
    if (!p.input_grads[i].empty()) p.input_grads[i].map() = dy.middleCols(offset, widths_[i]);
    offset += widths_[i];
  }
}

template class Dense<float>;
template class Dense<double>;
template class ActivationLayer<float>;
template class ActivationLayer<double>;
template class LayerNorm<float>;
template class LayerNorm<double>;
template class Concat<float>;
template class Concat<double>;

}  // namespace cairn::nn
