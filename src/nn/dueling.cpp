#include "cairn/nn/dueling.h"

#include <cmath>

#include "cairn/error.h"
#include "cairn/export/dueling_lowering.h"

namespace cairn::nn {

template <typename T>
DuelingQ<T>::DuelingQ(LayerConfig& config) {
  (void)config;  // no fields: finish() refuses any
}

template <typename T>
Index DuelingQ<T>::build(std::span<const Index> input_widths) {
  if (input_widths.size() != 2) {
    throw Error("dueling_q takes two inputs (value [batch, 1], advantage [batch, n]), got " +
                std::to_string(input_widths.size()));
  }
  if (input_widths[0] != 1) {
    throw Error("dueling_q: the first input (the value) must have width 1, got " +
                std::to_string(input_widths[0]));
  }
  if (input_widths[1] < 1) throw Error("dueling_q: the advantage input is empty");
  actions_ = input_widths[1];
  return actions_;
}

template <typename T>
void DuelingQ<T>::forward(const ForwardPass<T>& pass) const {
  const T* v = pass.inputs[0].data;
  const T* a = pass.inputs[1].data;
  const Index n = actions_;
  for (Index r = 0; r < pass.output.rows; ++r) {
    const T* ar = a + r * n;
    T sum = 0;
    for (Index k = 0; k < n; ++k) sum += ar[k];
    const T mean = sum / static_cast<T>(n);
    T* q = pass.output.data + r * n;
    // Q = V + (A - mean A), the order PyTorch's `v + (a - a.mean(1, keepdim=True))` uses.
    for (Index k = 0; k < n; ++k) q[k] = v[r] + (ar[k] - mean);
  }
}

template <typename T>
void DuelingQ<T>::backward(const BackwardPass<T>& pass) const {
  const Index n = actions_;
  const T* g = pass.output_grad.data;
  for (Index r = 0; r < pass.output.rows; ++r) {
    const T* gr = g + r * n;
    T sum = 0;
    for (Index k = 0; k < n; ++k) sum += gr[k];
    if (pass.input_grads[0].data != nullptr) pass.input_grads[0].data[r] = sum;
    if (pass.input_grads[1].data != nullptr) {
      const T mean = sum / static_cast<T>(n);
      T* da = pass.input_grads[1].data + r * n;
      for (Index k = 0; k < n; ++k) da[k] = gr[k] - mean;
    }
  }
}

template <typename T>
const LayerLowering* DuelingQ<T>::lowering() const {
  return &dueling_q_lowering();
}

template class DuelingQ<float>;
template class DuelingQ<double>;

ModelSpec dueling_q_network_spec(Index obs_features, Index num_actions,
                                 const std::vector<Index>& hidden_sizes, Activation activation) {
  if (obs_features < 1 || num_actions < 1) {
    throw Error("dueling_q_network_spec: obs_features and num_actions must be at least 1");
  }
  if (hidden_sizes.empty()) throw Error("dueling_q_network_spec: hidden_sizes is empty");
  // nn.Linear's default, as q_network_spec: kernel kaiming_uniform(a = sqrt(5)), i.e.
  // uniform(+-1/sqrt(fan_in)), and bias uniform(+-1/sqrt(fan_in)).
  Index fan_in = obs_features;
  auto dense = [&](Index units, const Activation& act) {
    LayerSpec l;
    l.type = "dense";
    l.config = {
        {"units", units},
        {"activation", act.to_json()},
        {"kernel_init", InitSpec::torch_linear_kernel().to_json()},
        {"bias_init", InitSpec::uniform(1.0 / std::sqrt(static_cast<double>(fan_in))).to_json()}};
    return l;
  };
  ModelSpec spec;
  spec.input_size = obs_features;
  BlockSpec trunk{"trunk", {"input"}, {}};
  for (Index h : hidden_sizes) {
    if (h < 1) throw Error("dueling_q_network_spec: hidden sizes must be at least 1");
    trunk.layers.push_back(dense(h, activation));
    fan_in = h;
  }
  spec.blocks.push_back(trunk);
  spec.blocks.push_back({"value", {"trunk"}, {dense(1, Activation::identity())}});
  spec.blocks.push_back({"advantage", {"trunk"}, {dense(num_actions, Activation::identity())}});
  LayerSpec aggregate;
  aggregate.type = DuelingQ<float>::kType;
  spec.blocks.push_back({"q", {"value", "advantage"}, {aggregate}});
  spec.outputs = {"q"};
  spec.validate();
  return spec;
}

}  // namespace cairn::nn
