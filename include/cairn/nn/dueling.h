// DuelingQ: the aggregation layer of dueling Q-networks (Wang et al. 2016, eq. 9),
//
//   Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a'),
//
// registered as the built-in layer type "dueling_q". It takes two inputs, V [batch, 1]
// then A [batch, n], and outputs Q [batch, n]; it has no parameters and no fields. Its
// gradient: dL/dV = sum_a dL/dQ_a, dL/dA_j = dL/dQ_j - mean_a dL/dQ_a.
//
// The ONNX and C exporters lower it through its LayerLowering (dueling_q_lowering() in
// cairn/export/dueling_lowering.h), so a policy folder, its ONNX model and its C source
// all compute the same Q-values.
//
// dueling_q_network_spec() builds DQN's dueling network: a trunk of hidden layers, a
// value head and an advantage head reading it, and the "q" block aggregating them.
//
// Thread safety: a built layer is immutable. forward/backward do not allocate.
#pragma once

#include <string>
#include <vector>

#include "cairn/nn/activation.h"
#include "cairn/nn/layer.h"
#include "cairn/nn/model_spec.h"

namespace cairn::nn {

template <typename T>
class DuelingQ final : public Layer<T> {
 public:
  static constexpr const char* kType = "dueling_q";

  // Reads no fields (LayerConfig refuses any).
  explicit DuelingQ(LayerConfig& config);
  DuelingQ() = default;

  std::string type() const override { return kType; }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  // Throws cairn::Error unless there are two inputs of widths 1 and n >= 1.
  Index build(std::span<const Index> input_widths) override;
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;
  const LayerLowering* lowering() const override;

 private:
  Index actions_ = 0;
};

extern template class DuelingQ<float>;
extern template class DuelingQ<double>;

// The dueling Q-network: block "trunk" (dense(hidden_sizes[k], activation) from the
// input), "value" (dense(1) from the trunk), "advantage" (dense(num_actions) from the
// trunk) and "q" (dueling_q of value and advantage), output "q" [batch, num_actions].
// Every layer is initialised as PyTorch's nn.Linear (kernel and bias uniform(+-1/sqrt(fan_in))),
// as q_network_spec's. Throws cairn::Error for sizes < 1.
ModelSpec dueling_q_network_spec(Index obs_features, Index num_actions,
                                 const std::vector<Index>& hidden_sizes, Activation activation);

}  // namespace cairn::nn
