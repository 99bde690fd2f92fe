#include "cairn/nn/optimizer.h"

#include <algorithm>

#include "cairn/error.h"

namespace cairn::nn {

template <typename T>
Optimizer<T>::Optimizer(const std::vector<TensorInfo>& parameters,
                        const std::vector<std::string>& slots, double lr)
    : lr_(lr) {
  for (const TensorInfo& p : parameters) n_ = std::max(n_, p.offset + p.size);
  for (size_t k = 0; k < slots.size(); ++k) {
    for (const TensorInfo& p : parameters) {
      TensorInfo s = p;
      s.name = slots[k] + "/" + p.name;
      s.offset = k * n_ + p.offset;
      state_info_.push_back(std::move(s));
    }
  }
  state_.assign(slots.size() * n_, T(0));
}

template <typename T>
void Optimizer<T>::check_sizes(std::span<T> params, std::span<const T> grads) const {
  if (params.size() != n_ || grads.size() != n_) {
    throw Error("optimizer step: expected " + std::to_string(n_) +
                " parameters and gradients, got " + std::to_string(params.size()) + " and " +
                std::to_string(grads.size()));
  }
}

template <typename T>
const TensorInfo& Optimizer<T>::find(std::string_view name) const {
  for (const TensorInfo& info : state_info_) {
    if (info.name == name) return info;
  }
  std::string known;
  for (const auto& info : state_info_) known += known.empty() ? info.name : ", " + info.name;
  throw Error("optimizer has no state tensor \"" + std::string(name) +
              "\" (known: " + (known.empty() ? "none" : known) + ")");
}

template <typename T>
std::span<const T> Optimizer<T>::state(std::string_view name) const {
  const TensorInfo& info = find(name);
  return {state_.data() + info.offset, info.size};
}

template <typename T>
void Optimizer<T>::set_state(std::string_view name, std::span<const int64_t> shape,
                             std::span<const T> data) {
  const TensorInfo& info = find(name);
  if (!std::equal(shape.begin(), shape.end(), info.shape.begin(), info.shape.end())) {
    throw Error("optimizer state \"" + info.name + "\" has shape " + shape_string(info.shape) +
                ", cannot set it from shape " + shape_string(shape));
  }
  if (data.size() != info.size) {
    throw Error("optimizer state \"" + info.name + "\": " + std::to_string(data.size()) +
                " values given for shape " + shape_string(info.shape));
  }
  std::copy(data.begin(), data.end(), state_.data() + info.offset);
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace cairn::nn
