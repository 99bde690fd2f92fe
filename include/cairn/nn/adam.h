// Adam with the semantics of torch.optim.Adam (single-tensor path, amsgrad=False,
// maximize=False; torch 1.13), per element, with step count t after increment:
//
//   g  = grad + weight_decay * param            (only if weight_decay != 0)
//   m  = m * beta1 + g * (1 - beta1)
//   v  = v * beta2 + (1 - beta2) * g * g
//   bias_correction1 = 1 - beta1^t,  bias_correction2 = 1 - beta2^t   (in double)
//   step_size = lr / bias_correction1                                  (in double)
//   param = param + (-step_size * m) / (sqrt(v) / sqrt(bias_correction2) + eps)
//
// Scalars are computed in double and rounded to T where they meet the tensors, as torch
// does. torch's vectorised kernels may fuse multiply-adds, so float results agree with
// torch to rounding (checked in tests), not bit for bit. Every operation is IEEE-exact
// (sqrt and division included, no fused multiply-add), so an element's bits depend on
// its values alone, not on its position in the vector.
//
// On x86, results too small for a normal T (denormals) are flushed to zero inside step()
// (MXCSR.FTZ, restored on return; inputs are read exactly). A denormal moment or
// parameter step is far below anything the update can resolve next to eps, and each one
// costs Intel cores a microcode assist of ~100 cycles: PPO with RLtools' Pendulum
// configuration spent ~10% of its training time in them. Elsewhere denormals are kept.
//
// State tensors: "exp_avg/<param>" (m) and "exp_avg_sq/<param>" (v).
// Thread safety: not safe for concurrent use. step() does not allocate.
#pragma once

#include "cairn/nn/optimizer.h"

namespace cairn::nn {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <typename T>
class Adam final : public Optimizer<T> {
 public:
  // `parameters` is the layout of the parameter vector (Model::parameters()). Throws
  // cairn::Error for lr < 0, eps < 0 or betas outside [0, 1).
  Adam(const std::vector<TensorInfo>& parameters, const AdamOptions& options = {});

  void step(std::span<T> params, std::span<const T> grads) override;
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
};

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace cairn::nn
