#include "cairn/policy/running_mean_std.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn {

RunningMeanStd::RunningMeanStd(size_t dim, float clip, double epsilon)
    : clip_(clip),
      epsilon_(epsilon),
      mean_(dim, 0.0),
      var_(dim, 1.0),
      mean_f_(dim),
      std_f_(dim),
      batch_mean_(dim),
      batch_var_(dim) {
  if (dim == 0) throw Error("RunningMeanStd: dim must be positive");
  if (!(clip > 0.0f))
    throw Error("RunningMeanStd: clip must be positive, got " + std::to_string(clip));
  if (!(epsilon >= 0.0)) throw Error("RunningMeanStd: epsilon must be non-negative");
  refresh_f32();
}

void RunningMeanStd::update(std::span<const float> batch) {
  const size_t d = dim();
  if (batch.empty() || batch.size() % d != 0) {
    throw Error("RunningMeanStd::update: batch has " + std::to_string(batch.size()) +
                " values, not a positive multiple of dim " + std::to_string(d));
  }
  const size_t n = batch.size() / d;
  std::fill(batch_mean_.begin(), batch_mean_.end(), 0.0);
  std::fill(batch_var_.begin(), batch_var_.end(), 0.0);
  for (size_t r = 0; r < n; ++r) {
    for (size_t k = 0; k < d; ++k) batch_mean_[k] += static_cast<double>(batch[r * d + k]);
  }
  for (size_t k = 0; k < d; ++k) batch_mean_[k] /= static_cast<double>(n);
  for (size_t r = 0; r < n; ++r) {
    for (size_t k = 0; k < d; ++k) {
      const double diff = static_cast<double>(batch[r * d + k]) - batch_mean_[k];
      batch_var_[k] += diff * diff;
    }
  }
  // Chan et al.: combine (count, mean, var) with the batch's (n, mean, var).
  const double batch_count = static_cast<double>(n);
  const double total = count_ + batch_count;
  for (size_t k = 0; k < d; ++k) {
    const double delta = batch_mean_[k] - mean_[k];
    const double m2 =
        var_[k] * count_ + batch_var_[k] + delta * delta * count_ * batch_count / total;
    mean_[k] += delta * batch_count / total;
    var_[k] = m2 / total;
  }
  count_ = total;
  refresh_f32();
}

void RunningMeanStd::normalize(std::span<const float> in, std::span<float> out) const {
  const size_t d = dim();
  if (in.size() != out.size() || in.size() % d != 0) {
    throw Error("RunningMeanStd::normalize: input has " + std::to_string(in.size()) +
                " and output " + std::to_string(out.size()) +
                " values; both must be the same "
                "multiple of dim " +
                std::to_string(d));
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t k = i % d;
    out[i] = std::clamp((in[i] - mean_f_[k]) / std_f_[k], -clip_, clip_);
  }
}

void RunningMeanStd::set_state(std::span<const double> mean, std::span<const double> var,
                               double count) {
  if (mean.size() != dim() || var.size() != dim()) {
    throw Error("RunningMeanStd::set_state: mean has " + std::to_string(mean.size()) + " and var " +
                std::to_string(var.size()) + " values; expected " + std::to_string(dim()));
  }
  for (size_t k = 0; k < dim(); ++k) {
    if (!std::isfinite(mean[k]) || !std::isfinite(var[k]) || var[k] < 0) {
      throw Error("RunningMeanStd::set_state: element " + std::to_string(k) + " has mean " +
                  std::to_string(mean[k]) + " and var " + std::to_string(var[k]) +
                  "; both must be finite and var non-negative");
    }
  }
  if (!(count > 0) || !std::isfinite(count)) {
    throw Error("RunningMeanStd::set_state: count must be positive and finite");
  }
  std::copy(mean.begin(), mean.end(), mean_.begin());
  std::copy(var.begin(), var.end(), var_.begin());
  count_ = count;
  refresh_f32();
}

void RunningMeanStd::refresh_f32() {
  for (size_t k = 0; k < dim(); ++k) {
    mean_f_[k] = static_cast<float>(mean_[k]);
    std_f_[k] = static_cast<float>(std::sqrt(var_[k] + epsilon_));
  }
}

}  // namespace cairn
