// The recurrent layers: LSTM and GRU, with PyTorch's equations and gate order.
//
//   lstm   (torch.nn.LSTM, one layer)     state per sequence: [h, c], 2 * units values
//            i = sigmoid(x Ki + bi + h Ri + ri)      f = sigmoid(x Kf + bf + h Rf + rf)
//            g = tanh(x Kg + bg + h Rg + rg)         o = sigmoid(x Ko + bo + h Ro + ro)
//            c' = f * c + i * g                      h' = o * tanh(c')
//   gru    (torch.nn.GRU, one layer)      state per sequence: [h], units values
//            r = sigmoid(x Kr + br + h Rr + rr)      z = sigmoid(x Kz + bz + h Rz + rz)
//            n = tanh(x Kn + bn + r * (h Rn + rn))   h' = (1 - z) * n + z * h
// The output row of a step is h'. Parameters (row-major, gates side by side in the order
// above, i f g o for the LSTM and r z n for the GRU):
//   kernel [in, G * units], recurrent_kernel [units, G * units], bias [G * units],
//   recurrent_bias [G * units]   (G = 4 for lstm, 3 for gru)
// These are PyTorch's weight_ih_l0, weight_hh_l0, bias_ih_l0 and bias_hh_l0, the two
// weights transposed (cairn's kernels are [in, out] like the dense layer's, so every
// product reads its right operand row by row): PyTorch weights load by name through
// torch_rnn_parameter_name() and a transpose of the two weights (see docs/recurrent.md).
//
// JSON fields (besides "type" and optional "name"): units (required), kernel_init,
// recurrent_kernel_init, bias_init, recurrent_bias_init (each defaults to PyTorch's
// initialisation, uniform on +-1 / sqrt(units)).
//
// Sequences (layer.h's SequencePass): the batch's rows are time-major steps of several
// sequences. The input products of all steps are one matrix product; then each step adds
// the recurrent product of the previous step's h. A start flag resets the state to zeros
// before its row. Backward runs through time from the last step to the first (truncated
// there: no gradient arrives through the final state), and the parameter gradients are
// block sums over all rows (nn/gemm.h), so they are deterministic; they are not split
// per block for a distributed minibatch (Model::backward_blocks refuses these layers).
//
// Thread safety: immutable after build(); forward/backward allocate nothing.
#pragma once

#include <string_view>

#include "cairn/nn/layer.h"

namespace cairn::nn {

enum class RecurrentCell { kLstm, kGru };

template <typename T>
class RecurrentLayer final : public Layer<T> {
 public:
  using Cell = RecurrentCell;

  RecurrentLayer(Cell cell, LayerConfig& config);
  RecurrentLayer(Cell cell, Index units);

  std::string type() const override { return cell_ == Cell::kLstm ? "lstm" : "gru"; }
  nlohmann::json config() const override;
  Index build(std::span<const Index> input_widths) override;
  std::vector<ParamSpec> parameters() const override;
  size_t workspace_size(Index batch) const override;
  Index state_size() const override { return cell_ == Cell::kLstm ? 2 * units_ : units_; }
  void forward(const ForwardPass<T>& pass) const override;
  void backward(const BackwardPass<T>& pass) const override;

  Cell cell() const { return cell_; }
  Index units() const { return units_; }
  Index input_width() const { return in_; }
  // Gates per unit: 4 (LSTM) or 3 (GRU).
  Index gates() const { return cell_ == Cell::kLstm ? 4 : 3; }

 private:
  void forward_lstm(const ForwardPass<T>& pass) const;
  void forward_gru(const ForwardPass<T>& pass) const;
  void backward_lstm(const BackwardPass<T>& pass) const;
  void backward_gru(const BackwardPass<T>& pass) const;

  Cell cell_;
  Index in_ = 0;
  Index units_;
  InitSpec kernel_init_, recurrent_kernel_init_, bias_init_, recurrent_bias_init_;
};

// The PyTorch name (torch.nn.LSTM / torch.nn.GRU state_dict key of layer 0) of a recurrent
// layer's parameter: "kernel" -> "weight_ih_l0" (transposed), "recurrent_kernel" ->
// "weight_hh_l0" (transposed), "bias" -> "bias_ih_l0", "recurrent_bias" -> "bias_hh_l0".
// Throws cairn::Error for any other name.
std::string torch_rnn_parameter_name(std::string_view cairn_name);

}  // namespace cairn::nn
