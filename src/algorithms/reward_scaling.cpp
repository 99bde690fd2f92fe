#include "cairn/algorithms/reward_scaling.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"

namespace cairn {

RewardScaling::RewardScaling(size_t streams, double gamma, double clip)
    : gamma_(gamma),
      clip_(static_cast<float>(clip)),
      stats_(1, static_cast<float>(clip)),
      returns_(streams, 0.0) {
  if (streams == 0) throw Error("RewardScaling: no streams");
  acting_returns_.reserve(streams);
}

void RewardScaling::scale(std::span<const double> rewards, std::span<const uint8_t> terminated,
                          std::span<const uint8_t> truncated, std::span<const uint8_t> acting,
                          std::span<float> out) {
  const size_t n = returns_.size();
  const auto acted = [&](size_t s) { return acting.empty() || acting[s] != 0; };
  acting_returns_.clear();
  for (size_t s = 0; s < n; ++s) {
    if (!acted(s)) continue;
    returns_[s] = returns_[s] * gamma_ + rewards[s];
    acting_returns_.push_back(static_cast<float>(returns_[s]));
  }
  if (acting_returns_.empty()) return;
  stats_.update(acting_returns_);
  const float std = stats_.std_f32()[0];
  for (size_t s = 0; s < n; ++s) {
    if (!acted(s)) continue;
    out[s] = std::clamp(static_cast<float>(rewards[s]) / std, -clip_, clip_);
    if (terminated[s] != 0 || truncated[s] != 0) returns_[s] = 0.0;
  }
}

void RewardScaling::save(TensorDict& out, const std::string& prefix) const {
  out.insert(prefix + "mean", Tensor::f64(stats_.mean(), {1}));
  out.insert(prefix + "var", Tensor::f64(stats_.var(), {1}));
  const double count = stats_.count();
  out.insert(prefix + "count", Tensor::f64(std::span<const double>(&count, 1), {}));
  out.insert(prefix + "discounted_returns",
             Tensor::f64(returns_, {static_cast<int64_t>(returns_.size())}));
}

void RewardScaling::check(const TensorDict& in, const std::string& prefix, int64_t streams) {
  const double mean = in.expect(prefix + "mean", DType::f64, {1}).to_vector<double>()[0];
  const double var = in.expect(prefix + "var", DType::f64, {1}).to_vector<double>()[0];
  const double count = in.expect(prefix + "count", DType::f64, {}).to_vector<double>()[0];
  in.expect(prefix + "discounted_returns", DType::f64, {streams});
  // What RunningMeanStd::set_state would refuse, named here by tensor and file (a value that is
  // not finite is refused by the checkpoint reader, which names it, before this is reached).
  if (!std::isfinite(mean)) {
    throw Error(in.source() + ": tensor '" + prefix + "mean' holds non-finite values");
  }
  if (!std::isfinite(var)) {
    throw Error(in.source() + ": tensor '" + prefix + "var' holds non-finite values");
  }
  if (!std::isfinite(count)) {
    throw Error(in.source() + ": tensor '" + prefix + "count' holds non-finite values");
  }
  if (var < 0) {
    throw Error(in.source() + ": tensor '" + prefix + "var' must be a non-negative variance");
  }
  if (count <= 0) throw Error(in.source() + ": tensor '" + prefix + "count' must be positive");
}

void RewardScaling::restore(const TensorDict& in, const std::string& prefix) {
  check(in, prefix, static_cast<int64_t>(returns_.size()));
  double mean = 0, var = 0, count = 0;
  in.expect(prefix + "mean", DType::f64, {1}).copy_to(std::span<double>(&mean, 1));
  in.expect(prefix + "var", DType::f64, {1}).copy_to(std::span<double>(&var, 1));
  in.expect(prefix + "count", DType::f64, {}).copy_to(std::span<double>(&count, 1));
  stats_.set_state(std::span<const double>(&mean, 1), std::span<const double>(&var, 1), count);
  in.expect(prefix + "discounted_returns", DType::f64, {static_cast<int64_t>(returns_.size())})
      .copy_to(std::span<double>(returns_));
}

}  // namespace cairn
