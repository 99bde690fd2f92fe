// Optimizer<T>: the common interface of the optimisers, and their named state.
//
// An optimiser updates one flat parameter vector from the matching flat gradient
// vector (Model::flat_parameters() / flat_gradients()). It is constructed from the
// parameter layout (Model::parameters()) so that its state can be read and written
// tensor by tensor under stable names "<slot>/<parameter name>", e.g.
// "exp_avg/pi/dense_0/kernel", with the parameter's shape. Restoring every state
// tensor plus step_count() (and the learning rate) continues training bit-identically.
//
// Thread safety: not safe for concurrent use. step() does not allocate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/nn/tensor.h"

namespace cairn::nn {

template <typename T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // Applies one update to `params` using `grads`. Both must have num_parameters()
  // elements; throws cairn::Error otherwise. Increments step_count().
  virtual void step(std::span<T> params, std::span<const T> grads) = 0;

  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }
  // Number of step() calls so far (torch's state["step"]).
  int64_t step_count() const { return steps_; }
  void set_step_count(int64_t steps) { steps_ = steps; }

  size_t num_parameters() const { return n_; }
  // Every state tensor, with offsets into flat_state().
  const std::vector<TensorInfo>& state_tensors() const { return state_info_; }
  // Throws cairn::Error naming the tensor (and listing the known ones) if unknown.
  std::span<const T> state(std::string_view name) const;
  // Copies `data` into the named state tensor. Throws cairn::Error for an unknown name,
  // a shape different from the tensor's, or a size that does not match the shape.
  void set_state(std::string_view name, std::span<const int64_t> shape, std::span<const T> data);
  std::span<const T> flat_state() const { return {state_.data(), state_.size()}; }
  std::span<T> flat_state() { return {state_.data(), state_.size()}; }

 protected:
  // One slot (a parameter-shaped state vector) per name in `slots`, zero-initialised.
  Optimizer(const std::vector<TensorInfo>& parameters, const std::vector<std::string>& slots,
            double lr);
  T* slot(size_t k) { return state_.data() + k * n_; }
  void check_sizes(std::span<T> params, std::span<const T> grads) const;

  double lr_;
  int64_t steps_ = 0;

 private:
  const TensorInfo& find(std::string_view name) const;

  size_t n_ = 0;
  std::vector<TensorInfo> state_info_;
  std::vector<T> state_;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace cairn::nn
