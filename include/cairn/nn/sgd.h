// Stochastic gradient descent with the semantics of torch.optim.SGD (maximize=False):
//
//   g = grad + weight_decay * param                  (only if weight_decay != 0)
//   if momentum != 0:
//     buf = g on the first step, else buf = buf * momentum + (1 - dampening) * g
//     g = nesterov ? g + momentum * buf : buf
//   param = param - lr * g
//
// State tensors: "momentum_buffer/<param>" when momentum != 0; none otherwise.
// Thread safety: not safe for concurrent use. step() does not allocate.
#pragma once

#include "cairn/nn/optimizer.h"

namespace cairn::nn {

struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
};

template <typename T>
class Sgd final : public Optimizer<T> {
 public:
  // Throws cairn::Error for lr < 0, momentum < 0, or nesterov without momentum or
  // with dampening (as torch does).
  Sgd(const std::vector<TensorInfo>& parameters, const SgdOptions& options = {});

  void step(std::span<T> params, std::span<const T> grads) override;
  const SgdOptions& options() const { return options_; }

 private:
  SgdOptions options_;
};

extern template class Sgd<float>;
extern template class Sgd<double>;

}  // namespace cairn::nn
