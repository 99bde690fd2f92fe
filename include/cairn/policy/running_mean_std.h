// RunningMeanStd: running mean and variance of observations, and the
// normalisation a policy applies with them:
//
//   normalized = clip((x - mean) / std, -clip, clip),   std = sqrt(var + epsilon)
//
// Statistics accumulate in float64 with the parallel update of Chan, Golub and
// LeVeque (as Stable-Baselines3 and Gymnasium do), starting from mean 0, var 1
// and a pseudo-count of 1e-4. The normalisation itself runs in float32 on a
// frozen float32 copy of mean and std (refreshed by every update), using exactly
// the operations an exported graph uses (subtract, divide, clip), so a restored
// or exported policy normalises bit-identically.
//
// Not thread-safe for update(); normalize() is const and thread-safe. Only the
// constructor and set_state allocate.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cairn {

class RunningMeanStd {
 public:
  // Throws cairn::Error if dim == 0, clip <= 0 or epsilon < 0.
  explicit RunningMeanStd(size_t dim, float clip = 10.0f, double epsilon = 1e-8);

  size_t dim() const { return mean_.size(); }
  float clip() const { return clip_; }
  double epsilon() const { return epsilon_; }

  // Folds a batch of `batch.size() / dim()` observations (row-major) into the
  // statistics. Throws cairn::Error if the size is not a positive multiple of dim().
  void update(std::span<const float> batch);

  // Normalises rows of `in` into `out` (same size, a multiple of dim()).
  void normalize(std::span<const float> in, std::span<float> out) const;

  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& var() const { return var_; }
  double count() const { return count_; }
  // The float32 values normalize() uses.
  const std::vector<float>& mean_f32() const { return mean_f_; }
  const std::vector<float>& std_f32() const { return std_f_; }

  // Replaces the statistics (restoring a checkpoint). Throws cairn::Error if the
  // sizes differ from dim(), a value is not finite, a variance is negative or the
  // count is not positive.
  void set_state(std::span<const double> mean, std::span<const double> var, double count);

 private:
  void refresh_f32();

  float clip_;
  double epsilon_;
  std::vector<double> mean_, var_;
  double count_ = 1e-4;
  std::vector<float> mean_f_, std_f_;
  std::vector<double> batch_mean_, batch_var_;  // scratch for update()
};

}  // namespace cairn
