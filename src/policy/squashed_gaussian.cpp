#include "cairn/policy/squashed_gaussian.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "cairn/error.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"

namespace cairn {
namespace {

void require_size(size_t got, size_t want, const char* what) {
  if (got != want) {
    throw Error(std::string("SquashedGaussian: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

// softplus(x) = log(1 + exp(x)), without overflow for large x or loss for very negative x.
template <typename T>
T softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}

// log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)): finite for every finite u.
template <typename T>
T log_one_minus_tanh_squared(T u) {
  return T(2) * (std::numbers::ln2_v<T> - u - softplus(T(-2) * u));
}

}  // namespace

template <typename T>
SquashedGaussian<T>::SquashedGaussian(size_t action_dim, double log_std_min, double log_std_max)
    : action_dim_(action_dim),
      log_std_min_(log_std_min),
      log_std_max_(log_std_max),
      low_(action_dim, T(-1)),
      high_(action_dim, T(1)) {
  if (action_dim == 0) throw Error("SquashedGaussian: action_dim must be at least 1");
  if (!(std::isfinite(log_std_min) && std::isfinite(log_std_max) && log_std_min < log_std_max)) {
    throw Error("SquashedGaussian: the log-std range [" + std::to_string(log_std_min) + ", " +
                std::to_string(log_std_max) + "] must be finite with min < max");
  }
}

template <typename T>
SquashedGaussian<T> SquashedGaussian<T>::for_action_space(const Space& action_space,
                                                          double log_std_min, double log_std_max) {
  if (!action_space.is_box() || !action_space.bounded()) {
    throw Error("SquashedGaussian: the action space " + action_space.to_string() +
                " is not a Box with finite bounds, so squashed actions cannot be rescaled to it");
  }
  SquashedGaussian d(action_space.size(), log_std_min, log_std_max);
  for (size_t j = 0; j < d.action_dim_; ++j) {
    if (!(action_space.low()[j] < action_space.high()[j])) {
      throw Error("SquashedGaussian: the action space " + action_space.to_string() +
                  " has element " + std::to_string(j) +
                  " with low == high, which squashed actions cannot be rescaled from");
    }
    d.low_[j] = static_cast<T>(action_space.low()[j]);
    d.high_[j] = static_cast<T>(action_space.high()[j]);
  }
  return d;
}

template <typename T>
size_t SquashedGaussian<T>::batch_of(std::span<const T> means, const char* what) const {
  if (means.size() % action_dim_ != 0) {
    throw Error(std::string("SquashedGaussian::") + what + ": means have " +
                std::to_string(means.size()) + " elements, not a multiple of action_dim " +
                std::to_string(action_dim_));
  }
  return means.size() / action_dim_;
}

template <typename T>
void SquashedGaussian<T>::rsample(std::span<const T> means, std::span<const T> raw_log_stds,
                                  Rng& rng, std::span<T> eps, std::span<T> actions,
                                  std::span<T> log_probs) const {
  batch_of(means, "rsample");
  require_size(eps.size(), means.size(), "eps");
  for (T& e : eps) e = static_cast<T>(rng.normal());
  forward(means, raw_log_stds, eps, actions, log_probs);
}

template <typename T>
void SquashedGaussian<T>::forward(std::span<const T> means, std::span<const T> raw_log_stds,
                                  std::span<const T> eps, std::span<T> actions,
                                  std::span<T> log_probs) const {
  const size_t batch = batch_of(means, "forward");
  const size_t d = action_dim_;
  require_size(raw_log_stds.size(), batch * d, "raw_log_stds");
  require_size(eps.size(), batch * d, "eps");
  require_size(actions.size(), batch * d, "actions");
  require_size(log_probs.size(), batch, "log_probs");
  const T lo = static_cast<T>(log_std_min_), hi = static_cast<T>(log_std_max_);
  const T half_log_two_pi = static_cast<T>(0.5 * std::log(2.0 * std::numbers::pi));
  for (size_t b = 0; b < batch; ++b) {
    T log_prob = 0;
    for (size_t j = b * d; j < (b + 1) * d; ++j) {
      const T log_std = std::clamp(raw_log_stds[j], lo, hi);
      const T u = means[j] + std::exp(log_std) * eps[j];
      actions[j] = std::tanh(u);
      // log N(u; mean, std) - log(1 - tanh(u)^2)
      log_prob +=
          -T(0.5) * eps[j] * eps[j] - log_std - half_log_two_pi - log_one_minus_tanh_squared(u);
    }
    log_probs[b] = log_prob;
  }
}

template <typename T>
void SquashedGaussian<T>::deterministic(std::span<const T> means, std::span<T> actions) const {
  batch_of(means, "deterministic");
  require_size(actions.size(), means.size(), "actions");
  for (size_t j = 0; j < means.size(); ++j) actions[j] = std::tanh(means[j]);
}

template <typename T>
void SquashedGaussian<T>::backward(std::span<const T> means, std::span<const T> raw_log_stds,
                                   std::span<const T> eps, std::span<const T> d_actions,
                                   std::span<const T> d_log_probs, std::span<T> d_means,
                                   std::span<T> d_raw_log_stds) const {
  const size_t batch = batch_of(means, "backward");
  const size_t d = action_dim_;
  require_size(raw_log_stds.size(), batch * d, "raw_log_stds");
  require_size(eps.size(), batch * d, "eps");
  if (!d_actions.empty()) require_size(d_actions.size(), batch * d, "d_actions");
  if (!d_log_probs.empty()) require_size(d_log_probs.size(), batch, "d_log_probs");
  require_size(d_means.size(), batch * d, "d_means");
  require_size(d_raw_log_stds.size(), batch * d, "d_raw_log_stds");
  const T lo = static_cast<T>(log_std_min_), hi = static_cast<T>(log_std_max_);
  for (size_t b = 0; b < batch; ++b) {
    const T d_log_prob = d_log_probs.empty() ? T(0) : d_log_probs[b];
    for (size_t j = b * d; j < (b + 1) * d; ++j) {
      const T raw = raw_log_stds[j];
      const T sigma = std::exp(std::clamp(raw, lo, hi));
      const T u = means[j] + sigma * eps[j];
      const T a = std::tanh(u);
      // da/du = 1 - tanh(u)^2, from the stable log form so it stays accurate for large |u|.
      const T da_du = std::exp(log_one_minus_tanh_squared(u));
      // d log pi / du = -d log(1 - tanh(u)^2) / du = 2 tanh(u); the Gaussian term
      // -eps^2/2 - log_std does not depend on u when eps is held fixed.
      const T d_u = (d_actions.empty() ? T(0) : d_actions[j] * da_du) + d_log_prob * T(2) * a;
      d_means[j] = d_u;  // du/dmean = 1
      // du/dlog_std = std * eps; d log pi / dlog_std (Gaussian term) = -1.
      const T d_log_std = d_u * sigma * eps[j] - d_log_prob;
      d_raw_log_stds[j] = (raw >= lo && raw <= hi) ? d_log_std : T(0);
    }
  }
}

template <typename T>
void SquashedGaussian<T>::to_bounds(std::span<const T> actions, std::span<T> env_actions) const {
  batch_of(actions, "to_bounds");
  require_size(env_actions.size(), actions.size(), "env_actions");
  for (size_t i = 0; i < actions.size(); ++i) {
    const size_t j = i % action_dim_;
    env_actions[i] = low_[j] + (actions[i] + T(1)) / T(2) * (high_[j] - low_[j]);
  }
}

template <typename T>
void SquashedGaussian<T>::from_bounds(std::span<const T> env_actions, std::span<T> actions) const {
  batch_of(env_actions, "from_bounds");
  require_size(actions.size(), env_actions.size(), "actions");
  for (size_t i = 0; i < env_actions.size(); ++i) {
    const size_t j = i % action_dim_;
    actions[i] = T(2) * (env_actions[i] - low_[j]) / (high_[j] - low_[j]) - T(1);
  }
}

template <typename T>
void SquashedGaussian<T>::to_bounds_backward(std::span<const T> d_env_actions,
                                             std::span<T> d_actions) const {
  batch_of(d_env_actions, "to_bounds_backward");
  require_size(d_actions.size(), d_env_actions.size(), "d_actions");
  for (size_t i = 0; i < d_env_actions.size(); ++i) {
    const size_t j = i % action_dim_;
    d_actions[i] = d_env_actions[i] * (high_[j] - low_[j]) / T(2);
  }
}

template class SquashedGaussian<float>;
template class SquashedGaussian<double>;

}  // namespace cairn
