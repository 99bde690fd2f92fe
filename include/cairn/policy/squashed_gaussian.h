// SquashedGaussian: SAC's action distribution, a diagonal Gaussian with a state-dependent
// log-std whose samples are squashed by tanh into (-1, 1) and then rescaled to the Box
// action space's bounds (Haarnoja et al. 2018, "Soft Actor-Critic", appendix C).
//
// Inputs per row (batch-major, d = action_dim()): d means and d raw log-stds, both outputs
// of the actor network. For each element
//   log_std = clamp(raw_log_std, log_std_min, log_std_max)     (default [-20, 2])
//   std     = exp(log_std)
//   u       = mean + std * eps,  eps ~ N(0, 1)                   (reparameterised sample)
//   a       = tanh(u)                                            (the action in (-1, 1))
// and per row
//   log pi(a|s) = sum_j [ log N(u_j; mean_j, std_j) - log(1 - tanh(u_j)^2) ]
//               = sum_j [ -eps_j^2 / 2 - log_std_j - log(2 pi) / 2
//                         - 2 (log 2 - u_j - softplus(-2 u_j)) ]
// The last line is the change-of-variables correction in the numerically stable form of
// the SAC reference implementations (log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))),
// finite for any finite u; the naive form is -inf once tanh(u) rounds to +-1 (|u| > ~9 in
// float). The Gaussian term uses eps itself rather than recomputing (u - mean) / std: the
// same number in exact arithmetic, without the rounding (which is large when std is tiny).
//
// Why the hard clamp to [-20, 2] rather than CleanRL's tanh rescaling of the log-std into
// [-5, 2]: it is what the authors' implementation, Stable-Baselines3 and Spinning Up do, so
// their tuned SAC hyperparameters carry over unchanged; the network's output *is* the
// log-std inside the range (no extra nonlinearity to account for when reading or exporting
// a policy); and the range is wide enough that the clamp rarely binds. Where it does, the
// gradient through it is zero, as with torch.clamp (which passes the gradient at the
// bounds themselves, and so does backward() here).
//
// Rescaling: the environment receives low + (a + 1) / 2 * (high - low) per element, so
// d(env action)/da = (high - low) / 2. The bounds come from a Box whose every element is
// finite (for_action_space()).
//
// The template parameter is the scalar type: float for training and inference, double for
// gradient checks. Sizes are checked (cairn::Error on a mismatch); values are not (they are
// a network's outputs on the training path: NaN in gives NaN out). No method allocates
// (except for the message of an error); all are const and thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cairn {

class Rng;
class Space;

template <typename T>
class SquashedGaussian {
 public:
  // The SAC reference implementations' log-std range.
  static constexpr double kDefaultLogStdMin = -20.0;
  static constexpr double kDefaultLogStdMax = 2.0;

  // A distribution over `action_dim` elements with bounds -1 and 1 (rescaling is then
  // the identity). Throws cairn::Error if action_dim is 0 or the log-std range is not
  // finite with log_std_min < log_std_max.
  explicit SquashedGaussian(size_t action_dim, double log_std_min = kDefaultLogStdMin,
                            double log_std_max = kDefaultLogStdMax);
  // The distribution for a Box action space, rescaling to its bounds. Throws
  // cairn::Error naming the space if it is not a Box, an element's bound is infinite or
  // an element has low == high.
  static SquashedGaussian for_action_space(const Space& action_space,
                                           double log_std_min = kDefaultLogStdMin,
                                           double log_std_max = kDefaultLogStdMax);

  size_t action_dim() const { return action_dim_; }
  double log_std_min() const { return log_std_min_; }
  double log_std_max() const { return log_std_max_; }
  const std::vector<T>& low() const { return low_; }
  const std::vector<T>& high() const { return high_; }

  // Draws eps [batch x d] from rng.normal() in row-major order, then forward(). `eps`
  // is written for backward(). batch = means.size() / d.
  void rsample(std::span<const T> means, std::span<const T> raw_log_stds, Rng& rng,
               std::span<T> eps, std::span<T> actions, std::span<T> log_probs) const;
  // The squashed actions a [batch x d] and log pi(a|s) [batch] for given noise eps.
  void forward(std::span<const T> means, std::span<const T> raw_log_stds, std::span<const T> eps,
               std::span<T> actions, std::span<T> log_probs) const;
  // The deterministic (evaluation) action tanh(mean) [batch x d].
  void deterministic(std::span<const T> means, std::span<T> actions) const;

  // Backward pass of a loss L(a, log pi) with eps held fixed: given dL/da [batch x d] and
  // dL/dlog_pi [batch], writes (overwrites) dL/dmean and dL/draw_log_std [batch x d],
  // the latter zero where the clamp binds strictly. Either incoming gradient may be
  // empty, meaning zero.
  void backward(std::span<const T> means, std::span<const T> raw_log_stds, std::span<const T> eps,
                std::span<const T> d_actions, std::span<const T> d_log_probs, std::span<T> d_means,
                std::span<T> d_raw_log_stds) const;

  // Environment actions low + (a + 1) / 2 * (high - low) for squashed actions a [batch x d].
  void to_bounds(std::span<const T> actions, std::span<T> env_actions) const;
  // The inverse, 2 (x - low) / (high - low) - 1, e.g. for critics trained on (-1, 1).
  void from_bounds(std::span<const T> env_actions, std::span<T> actions) const;
  // Chain rule through to_bounds(): dL/da = dL/d(env action) * (high - low) / 2.
  void to_bounds_backward(std::span<const T> d_env_actions, std::span<T> d_actions) const;

 private:
  size_t batch_of(std::span<const T> means, const char* what) const;

  size_t action_dim_ = 0;
  double log_std_min_ = kDefaultLogStdMin, log_std_max_ = kDefaultLogStdMax;
  std::vector<T> low_, high_;
};

extern template class SquashedGaussian<float>;
extern template class SquashedGaussian<double>;

}  // namespace cairn
