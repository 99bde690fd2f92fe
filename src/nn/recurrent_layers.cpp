#include "cairn/nn/recurrent_layers.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/nn/gemm.h"

namespace cairn::nn {
namespace {

InitSpec torch_rnn_init(Index units) {
  return InitSpec::uniform(1.0 / std::sqrt(static_cast<double>(units)));
}

// The previous step's value of one sequence's state part: the state passed in at step 0,
// the row written at step t - 1 otherwise, zeros after a start flag.
template <typename T>
void previous_state(const T* first, const T* earlier_row, bool start, Index width, T* dst) {
  if (start) {
    std::fill(dst, dst + width, T(0));
  } else {
    const T* src = earlier_row != nullptr ? earlier_row : first;
    std::copy(src, src + width, dst);
  }
}

bool start_at(std::span<const uint8_t> starts, Index row) {
  return !starts.empty() && starts[static_cast<size_t>(row)] != 0;
}

}  // namespace

template <typename T>
RecurrentLayer<T>::RecurrentLayer(Cell cell, LayerConfig& c)
    : cell_(cell), units_(c.positive_integer("units")) {
  const InitSpec fallback = torch_rnn_init(units_);
  kernel_init_ = c.initializer("kernel_init", fallback);
  recurrent_kernel_init_ = c.initializer("recurrent_kernel_init", fallback);
  bias_init_ = c.initializer("bias_init", fallback);
  recurrent_bias_init_ = c.initializer("recurrent_bias_init", fallback);
}

template <typename T>
RecurrentLayer<T>::RecurrentLayer(Cell cell, Index units) : cell_(cell), units_(units) {
  if (units <= 0) {
    throw Error(type() + ": units must be positive (got " + std::to_string(units) + ")");
  }
  kernel_init_ = recurrent_kernel_init_ = bias_init_ = recurrent_bias_init_ =
      torch_rnn_init(units_);
}

template <typename T>
nlohmann::json RecurrentLayer<T>::config() const {
  return {{"units", units_},
          {"kernel_init", kernel_init_.to_json()},
          {"recurrent_kernel_init", recurrent_kernel_init_.to_json()},
          {"bias_init", bias_init_.to_json()},
          {"recurrent_bias_init", recurrent_bias_init_.to_json()}};
}

template <typename T>
Index RecurrentLayer<T>::build(std::span<const Index> widths) {
  if (widths.size() != 1) {
    throw Error(type() + " takes 1 input but is given " + std::to_string(widths.size()) +
                " (a block with several inputs must start with a concat layer)");
  }
  in_ = widths[0];
  return units_;
}

template <typename T>
std::vector<ParamSpec> RecurrentLayer<T>::parameters() const {
  const Index width = gates() * units_;
  return {{"kernel", {in_, width}, kernel_init_},
          {"recurrent_kernel", {units_, width}, recurrent_kernel_init_},
          {"bias", {width}, bias_init_},
          {"recurrent_bias", {width}, recurrent_bias_init_}};
}

// Workspace, in elements (N rows, H units, G gates):
//   kept from forward to backward:
//     LSTM: gate activations [N, 4H], c before the step [N, H], c after [N, H],
//           tanh(c after) [N, H], h before the step [N, H]
//     GRU:  gate activations [N, 3H], h Rn + rn [N, H], h before the step [N, H],
//           and the step's recurrent product [N, 3H] (scratch)
//   backward only: the gates' pre-activation gradients [N, G H] (GRU: twice, for the
//   input and the recurrent products), the two kernels transposed, and the carried
//   gradients of the state and one step's d(h before) [N, H] each (LSTM: three, GRU: three).
template <typename T>
size_t RecurrentLayer<T>::workspace_size(Index batch) const {
  const Index n = batch, h = units_, g = gates();
  const Index kept = cell_ == Cell::kLstm ? n * (4 * h + 4 * h) : n * (3 * h + 2 * h + 3 * h);
  const Index grads = cell_ == Cell::kLstm ? n * 4 * h : 2 * n * 3 * h;
  const Index transposes = g * h * in_ + g * h * h;
  const Index carries = 3 * n * h;
  return static_cast<size_t>(kept + grads + transposes + carries);
}

template <typename T>
void RecurrentLayer<T>::forward(const ForwardPass<T>& p) const {
  if (p.sequence == nullptr) throw Error(type() + " layer run without a sequence");
  if (cell_ == Cell::kLstm) {
    forward_lstm(p);
  } else {
    forward_gru(p);
  }
}

template <typename T>
void RecurrentLayer<T>::backward(const BackwardPass<T>& p) const {
  if (p.sequence == nullptr) throw Error(type() + " layer run without a sequence");
  if (cell_ == Cell::kLstm) {
    backward_lstm(p);
  } else {
    backward_gru(p);
  }
}

// --- LSTM ----------------------------------------------------------------------------

template <typename T>
void RecurrentLayer<T>::forward_lstm(const ForwardPass<T>& p) const {
  const SequencePass<T>& seq = *p.sequence;
  const Index n = p.output.rows, h = units_, w = 4 * h, steps = seq.steps, streams = n / steps;
  T* acts = p.workspace.data();
  T* c_prev = acts + n * w;
  T* c = c_prev + n * h;
  T* tanh_c = c + n * h;
  T* h_prev = tanh_c + n * h;
  const T* rbias = p.params[3];
  T* out = p.output.data;

  // Every step's input product at once: acts = x kernel + bias.
  gemm<T>(n, w, in_, GemmLhs<T>{p.inputs[0].data, in_, 1}, p.params[0], w, acts, w, GemmInit::kBias,
          p.params[2]);
  for (Index t = 0; t < steps; ++t) {
    const Index r0 = t * streams;
    for (Index s = 0; s < streams; ++s) {
      const Index row = r0 + s;
      const bool start = start_at(seq.starts, row);
      const T* state = seq.state_in.data + s * 2 * h;
      previous_state<T>(state, t > 0 ? out + (row - streams) * h : nullptr, start, h,
                        h_prev + row * h);
      previous_state<T>(state + h, t > 0 ? c + (row - streams) * h : nullptr, start, h,
                        c_prev + row * h);
    }
    // The recurrent product of the previous h, added to the input product.
    gemm<T>(streams, w, h, GemmLhs<T>{h_prev + r0 * h, h, 1}, p.params[1], w, acts + r0 * w, w,
            GemmInit::kAccumulate);
    for (Index row = r0; row < r0 + streams; ++row) {
      T* a = acts + row * w;
      for (Index j = 0; j < w; ++j) a[j] += rbias[j];
      activation_forward(Activation::sigmoid(), a, a, 2 * h);              // i, f
      activation_forward(Activation::tanh(), a + 2 * h, a + 2 * h, h);     // g
      activation_forward(Activation::sigmoid(), a + 3 * h, a + 3 * h, h);  // o
      const T* i_gate = a;
      const T* f_gate = a + h;
      const T* g_gate = a + 2 * h;
      T* c_row = c + row * h;
      const T* cp = c_prev + row * h;
      for (Index j = 0; j < h; ++j) c_row[j] = f_gate[j] * cp[j] + i_gate[j] * g_gate[j];
      activation_forward(Activation::tanh(), c_row, tanh_c + row * h, h);
      const T* o_gate = a + 3 * h;
      for (Index j = 0; j < h; ++j) out[row * h + j] = o_gate[j] * tanh_c[row * h + j];
    }
  }
  for (Index s = 0; s < streams; ++s) {
    const Index last = (steps - 1) * streams + s;
    T* state = seq.state_out.data + s * 2 * h;
    std::copy(out + last * h, out + (last + 1) * h, state);
    std::copy(c + last * h, c + (last + 1) * h, state + h);
  }
}

template <typename T>
void RecurrentLayer<T>::backward_lstm(const BackwardPass<T>& p) const {
  const SequencePass<T>& seq = *p.sequence;
  const Index n = p.output.rows, h = units_, w = 4 * h, steps = seq.steps, streams = n / steps;
  const T* acts = p.workspace.data();
  const T* c_prev = acts + n * w;
  const T* tanh_c = c_prev + 2 * n * h;
  const T* h_prev = tanh_c + n * h;
  T* dz = p.workspace.data() + n * 8 * h;
  T* kernel_t = dz + n * w;
  T* recurrent_t = kernel_t + w * in_;
  T* dh_carry = recurrent_t + w * h;
  T* dc_carry = dh_carry + n * h;
  T* dh_prev = dc_carry + n * h;
  const T* dout = p.output_grad.data;

  transpose<T>(h, w, p.params[1], recurrent_t);
  std::fill(dh_carry, dh_carry + streams * h, T(0));
  std::fill(dc_carry, dc_carry + streams * h, T(0));
  for (Index t = steps; t-- > 0;) {
    const Index r0 = t * streams;
    for (Index s = 0; s < streams; ++s) {
      const Index row = r0 + s;
      const bool start = start_at(seq.starts, row);
      const T* a = acts + row * w;
      T* d = dz + row * w;
      for (Index j = 0; j < h; ++j) {
        const T i_gate = a[j], f_gate = a[h + j], g_gate = a[2 * h + j], o_gate = a[3 * h + j];
        const T tc = tanh_c[row * h + j];
        const T dh = dout[row * h + j] + dh_carry[s * h + j];
        const T d_o = dh * tc;
        const T dc = dc_carry[s * h + j] + dh * o_gate * (T(1) - tc * tc);
        const T d_i = dc * g_gate, d_f = dc * c_prev[row * h + j], d_g = dc * i_gate;
        d[j] = d_i * (T(1) - i_gate) * i_gate;
        d[h + j] = d_f * (T(1) - f_gate) * f_gate;
        d[2 * h + j] = d_g * (T(1) - g_gate * g_gate);
        d[3 * h + j] = d_o * (T(1) - o_gate) * o_gate;
        dc_carry[s * h + j] = start ? T(0) : dc * f_gate;
      }
    }
    // d(h before the step) = dz recurrent_kernel^T.
    gemm<T>(streams, h, w, GemmLhs<T>{dz + r0 * w, w, 1}, recurrent_t, h, dh_prev, h,
            GemmInit::kZero);
    for (Index s = 0; s < streams; ++s) {
      const bool start = start_at(seq.starts, r0 + s);
      for (Index j = 0; j < h; ++j) dh_carry[s * h + j] = start ? T(0) : dh_prev[s * h + j];
    }
  }
  if (!p.state_in_grad.empty()) {
    for (Index s = 0; s < streams; ++s) {
      T* g = p.state_in_grad.data + s * 2 * h;
      std::copy(dh_carry + s * h, dh_carry + (s + 1) * h, g);
      std::copy(dc_carry + s * h, dc_carry + (s + 1) * h, g + h);
    }
  }
  if (!p.param_grads.empty()) {
    accumulate_dense_gradients<T>(n, in_, w, p.inputs[0].data, dz, p.param_grads[0],
                                  p.param_grads[2]);
    accumulate_dense_gradients<T>(n, h, w, h_prev, dz, p.param_grads[1], p.param_grads[3]);
  }
  if (!p.input_grads[0].empty()) {
    transpose<T>(in_, w, p.params[0], kernel_t);
    gemm<T>(n, in_, w, GemmLhs<T>{dz, w, 1}, kernel_t, in_, p.input_grads[0].data, in_,
            GemmInit::kZero);
  }
}

// --- GRU -----------------------------------------------------------------------------

template <typename T>
void RecurrentLayer<T>::forward_gru(const ForwardPass<T>& p) const {
  const SequencePass<T>& seq = *p.sequence;
  const Index n = p.output.rows, h = units_, w = 3 * h, steps = seq.steps, streams = n / steps;
  T* acts = p.workspace.data();
  T* hn = acts + n * w;  // h Rn + rn
  T* h_prev = hn + n * h;
  T* rec = h_prev + n * h;  // one step's h R + rb, [streams, 3H]
  T* out = p.output.data;

  // Every step's input product at once: acts = x kernel + bias (pre-activations).
  gemm<T>(n, w, in_, GemmLhs<T>{p.inputs[0].data, in_, 1}, p.params[0], w, acts, w, GemmInit::kBias,
          p.params[2]);
  for (Index t = 0; t < steps; ++t) {
    const Index r0 = t * streams;
    for (Index s = 0; s < streams; ++s) {
      const Index row = r0 + s;
      previous_state<T>(seq.state_in.data + s * h, t > 0 ? out + (row - streams) * h : nullptr,
                        start_at(seq.starts, row), h, h_prev + row * h);
    }
    gemm<T>(streams, w, h, GemmLhs<T>{h_prev + r0 * h, h, 1}, p.params[1], w, rec, w,
            GemmInit::kBias, p.params[3]);
    for (Index s = 0; s < streams; ++s) {
      const Index row = r0 + s;
      T* a = acts + row * w;
      const T* g = rec + s * w;
      for (Index j = 0; j < 2 * h; ++j) a[j] += g[j];
      activation_forward(Activation::sigmoid(), a, a, 2 * h);  // r, z
      T* hn_row = hn + row * h;
      for (Index j = 0; j < h; ++j) {
        hn_row[j] = g[2 * h + j];
        a[2 * h + j] += a[j] * hn_row[j];  // x Kn + bn + r * (h Rn + rn)
      }
      activation_forward(Activation::tanh(), a + 2 * h, a + 2 * h, h);  // n
      const T* hp = h_prev + row * h;
      for (Index j = 0; j < h; ++j) {
        const T z = a[h + j], nv = a[2 * h + j];
        out[row * h + j] = (T(1) - z) * nv + z * hp[j];
      }
    }
  }
  for (Index s = 0; s < streams; ++s) {
    const Index last = (steps - 1) * streams + s;
    std::copy(out + last * h, out + (last + 1) * h, seq.state_out.data + s * h);
  }
}

template <typename T>
void RecurrentLayer<T>::backward_gru(const BackwardPass<T>& p) const {
  const SequencePass<T>& seq = *p.sequence;
  const Index n = p.output.rows, h = units_, w = 3 * h, steps = seq.steps, streams = n / steps;
  const T* acts = p.workspace.data();
  const T* hn = acts + n * w;
  const T* h_prev = hn + n * h;
  T* dgx = p.workspace.data() + n * 8 * h;  // d(pre-activations) of the input product
  T* dgh = dgx + n * w;                     // and of the recurrent product
  T* kernel_t = dgh + n * w;
  T* recurrent_t = kernel_t + w * in_;
  T* dh_carry = recurrent_t + w * h;
  T* dh_direct = dh_carry + n * h;  // d(h before) through h' = ... + z * h
  T* dh_prev = dh_direct + n * h;
  const T* dout = p.output_grad.data;

  transpose<T>(h, w, p.params[1], recurrent_t);
  std::fill(dh_carry, dh_carry + streams * h, T(0));
  for (Index t = steps; t-- > 0;) {
    const Index r0 = t * streams;
    for (Index s = 0; s < streams; ++s) {
      const Index row = r0 + s;
      const T* a = acts + row * w;
      T* dx_row = dgx + row * w;
      T* dh_row = dgh + row * w;
      for (Index j = 0; j < h; ++j) {
        const T r = a[j], z = a[h + j], nv = a[2 * h + j];
        const T dh = dout[row * h + j] + dh_carry[s * h + j];
        const T d_n = dh * (T(1) - z);
        const T d_z = dh * (h_prev[row * h + j] - nv);
        const T d_an = d_n * (T(1) - nv * nv);
        const T d_r = d_an * hn[row * h + j];
        const T d_ar = d_r * (T(1) - r) * r;
        const T d_az = d_z * (T(1) - z) * z;
        dx_row[j] = dh_row[j] = d_ar;
        dx_row[h + j] = dh_row[h + j] = d_az;
        dx_row[2 * h + j] = d_an;
        dh_row[2 * h + j] = d_an * r;
        dh_direct[s * h + j] = dh * z;
      }
    }
    gemm<T>(streams, h, w, GemmLhs<T>{dgh + r0 * w, w, 1}, recurrent_t, h, dh_prev, h,
            GemmInit::kZero);
    for (Index s = 0; s < streams; ++s) {
      const bool start = start_at(seq.starts, r0 + s);
      for (Index j = 0; j < h; ++j) {
        dh_carry[s * h + j] = start ? T(0) : dh_prev[s * h + j] + dh_direct[s * h + j];
      }
    }
  }
  if (!p.state_in_grad.empty()) {
    std::copy(dh_carry, dh_carry + streams * h, p.state_in_grad.data);
  }
  if (!p.param_grads.empty()) {
    accumulate_dense_gradients<T>(n, in_, w, p.inputs[0].data, dgx, p.param_grads[0],
                                  p.param_grads[2]);
    accumulate_dense_gradients<T>(n, h, w, h_prev, dgh, p.param_grads[1], p.param_grads[3]);
  }
  if (!p.input_grads[0].empty()) {
    transpose<T>(in_, w, p.params[0], kernel_t);
    gemm<T>(n, in_, w, GemmLhs<T>{dgx, w, 1}, kernel_t, in_, p.input_grads[0].data, in_,
            GemmInit::kZero);
  }
}

std::string torch_rnn_parameter_name(std::string_view cairn_name) {
  if (cairn_name == "kernel") return "weight_ih_l0";
  if (cairn_name == "recurrent_kernel") return "weight_hh_l0";
  if (cairn_name == "bias") return "bias_ih_l0";
  if (cairn_name == "recurrent_bias") return "bias_hh_l0";
  throw Error("'" + std::string(cairn_name) +
              "' is not a recurrent layer parameter (kernel, recurrent_kernel, bias, "
              "recurrent_bias)");
}

template class RecurrentLayer<float>;
template class RecurrentLayer<double>;

}  // namespace cairn::nn
