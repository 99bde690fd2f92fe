#include "cairn/nn/adam.h"

#include <cmath>

#include "cairn/error.h"

namespace cairn::nn {

template <typename T>
Adam<T>::Adam(const std::vector<TensorInfo>& parameters, const AdamOptions& options)
    : Optimizer<T>(parameters, {"exp_avg", "exp_avg_sq"}, options.lr), options_(options) {
  if (!(options.lr >= 0)) throw Error("adam: lr must be >= 0");
  if (!(options.eps >= 0)) throw Error("adam: eps must be >= 0");
  if (!(options.beta1 >= 0 && options.beta1 < 1)) throw Error("adam: beta1 must be in [0, 1)");
  if (!(options.beta2 >= 0 && options.beta2 < 1)) throw Error("adam: beta2 must be in [0, 1)");
  if (!(options.weight_decay >= 0)) throw Error("adam: weight_decay must be >= 0");
}

template <typename T>
void Adam<T>::step(std::span<T> params, std::span<const T> grads) {
  this->check_sizes(params, grads);
  const auto n = static_cast<Index>(params.size());
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<A> p(params.data(), n), m(this->slot(0), n), v(this->slot(1), n);
  Eigen::Map<const A> g(grads.data(), n);

  ++this->steps_;
  const double t = static_cast<double>(this->steps_);
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
  const T neg_step_size = static_cast<T>(-(this->lr_ / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(options_.beta1),
          one_minus_beta1 = static_cast<T>(1 - options_.beta1);
  const T beta2 = static_cast<T>(options_.beta2),
          one_minus_beta2 = static_cast<T>(1 - options_.beta2);
  const T eps = static_cast<T>(options_.eps);
  if (options_.weight_decay != 0) {
    const T wd = static_cast<T>(options_.weight_decay);
    m = m * beta1 + (g + p * wd) * one_minus_beta1;
    v = v * beta2 + one_minus_beta2 * (g + p * wd) * (g + p * wd);
  } else {
    m = m * beta1 + g * one_minus_beta1;
    v = v * beta2 + one_minus_beta2 * g * g;
  }
  p = p + (neg_step_size * m) / (v.sqrt() / bc2_sqrt + eps);
}

template class Adam<float>;
template class Adam<double>;

}  // namespace cairn::nn
