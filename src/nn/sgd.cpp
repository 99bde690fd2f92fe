#include "cairn/nn/sgd.h"

#include "cairn/error.h"

namespace cairn::nn {
namespace {
std::vector<std::string> sgd_slots(const SgdOptions& o) {
  if (o.momentum != 0) return {"momentum_buffer"};
  return {};
}
}  // namespace

template <typename T>
Sgd<T>::Sgd(const std::vector<TensorInfo>& parameters, const SgdOptions& options)
    : Optimizer<T>(parameters, sgd_slots(options), options.lr), options_(options) {
  if (!(options.lr >= 0)) throw Error("sgd: lr must be >= 0");
  if (!(options.momentum >= 0)) throw Error("sgd: momentum must be >= 0");
  if (!(options.weight_decay >= 0)) throw Error("sgd: weight_decay must be >= 0");
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw Error("sgd: nesterov momentum requires a momentum and zero dampening");
  }
}

template <typename T>
void Sgd<T>::step(std::span<T> params, std::span<const T> grads) {
  this->check_sizes(params, grads);
  const auto n = static_cast<Index>(params.size());
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<A> p(params.data(), n);
  Eigen::Map<const A> g(grads.data(), n);
  const T lr = static_cast<T>(this->lr_);
  const T wd = static_cast<T>(options_.weight_decay);
  const bool first = this->steps_ == 0;
  ++this->steps_;
  if (options_.momentum == 0) {
    if (options_.weight_decay != 0) {
      p = p - lr * (g + p * wd);
    } else {
      p = p - lr * g;
    }
    return;
  }
  Eigen::Map<A> buf(this->slot(0), n);
  const T mom = static_cast<T>(options_.momentum);
  const T keep = static_cast<T>(1 - options_.dampening);
  for (Index i = 0; i < n; ++i) {
    const T d = options_.weight_decay != 0 ? g[i] + p[i] * wd : g[i];
    buf[i] = first ? d : buf[i] * mom + keep * d;
    const T update = options_.nesterov ? d + mom * buf[i] : buf[i];
    p[i] = p[i] - lr * update;
  }
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace cairn::nn
