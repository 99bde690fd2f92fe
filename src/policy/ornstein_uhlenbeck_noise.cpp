#include "cairn/policy/ornstein_uhlenbeck_noise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cairn/error.h"

namespace cairn {
namespace {

void check_option(double value, bool ok, const char* name) {
  if (!std::isfinite(value) || !ok) {
    throw Error(std::string("OrnsteinUhlenbeckNoise: '") + name + "' " +
                (std::string(name) == "dt" ? "must be a finite number > 0"
                                           : "must be a finite number >= 0") +
                ", got " + std::to_string(value));
  }
}

}  // namespace

OrnsteinUhlenbeckNoise::OrnsteinUhlenbeckNoise(size_t num_envs, size_t action_dim,
                                               OrnsteinUhlenbeckOptions options)
    : num_envs_(num_envs), action_dim_(action_dim), options_(options) {
  check_option(options_.sigma, options_.sigma >= 0, "sigma");
  check_option(options_.theta, options_.theta >= 0, "theta");
  check_option(options_.dt, options_.dt > 0, "dt");
  if (options_.theta * options_.dt > 1.0) {
    throw Error("OrnsteinUhlenbeckNoise: 'theta' * 'dt' must be at most 1 (got " +
                std::to_string(options_.theta * options_.dt) +
                "): the discretised process would overshoot its mean each step");
  }
  if (num_envs_ == 0 || action_dim_ == 0) {
    throw Error("OrnsteinUhlenbeckNoise: needs at least one environment and action element (got " +
                std::to_string(num_envs_) + " x " + std::to_string(action_dim_) + ")");
  }
  state_.assign(num_envs_ * action_dim_, 0.0);
}

void OrnsteinUhlenbeckNoise::sample(Rng& rng, std::span<float> noise) {
  if (noise.size() != state_.size()) {
    throw Error("OrnsteinUhlenbeckNoise::sample: the noise buffer has " +
                std::to_string(noise.size()) + " elements, expected " + std::to_string(num_envs_) +
                " x " + std::to_string(action_dim_));
  }
  const double theta = options_.theta, dt = options_.dt;
  const double diffusion = options_.sigma * std::sqrt(dt);
  for (size_t i = 0; i < state_.size(); ++i) {
    // x_{t+1} = x_t + theta * (mu - x_t) * dt + sigma * sqrt(dt) * N(0, 1), mu = 0, in
    // Stable-Baselines3's order of operations (so its NumPy form gives the same bits).
    state_[i] = state_[i] + theta * (0.0 - state_[i]) * dt + diffusion * rng.normal();
    noise[i] = static_cast<float>(state_[i]);
  }
}

void OrnsteinUhlenbeckNoise::reset(size_t env) {
  if (env >= num_envs_) {
    throw Error("OrnsteinUhlenbeckNoise::reset: environment " + std::to_string(env) + " of " +
                std::to_string(num_envs_));
  }
  std::fill_n(state_.begin() + static_cast<std::ptrdiff_t>(env * action_dim_), action_dim_, 0.0);
}

void OrnsteinUhlenbeckNoise::reset_all() {
  std::fill(state_.begin(), state_.end(), 0.0);
}

double OrnsteinUhlenbeckNoise::stationary_variance() const {
  const double theta = options_.theta;
  if (theta == 0.0) return std::numeric_limits<double>::infinity();
  return options_.sigma * options_.sigma / (2.0 * theta - theta * theta * options_.dt);
}

void OrnsteinUhlenbeckNoise::save_state(TensorDict& out, const std::string& prefix) const {
  out.insert(prefix + "state", Tensor::f64(state_, {static_cast<int64_t>(num_envs_),
                                                    static_cast<int64_t>(action_dim_)}));
}

void OrnsteinUhlenbeckNoise::restore_state(const TensorDict& in, const std::string& prefix) {
  const std::string name = prefix + "state";
  std::vector<double> restored(state_.size());
  in.expect(name, DType::f64, {static_cast<int64_t>(num_envs_), static_cast<int64_t>(action_dim_)})
      .copy_to(std::span<double>(restored));
  for (size_t i = 0; i < restored.size(); ++i) {
    if (!std::isfinite(restored[i])) {
      throw Error(in.source() + ": tensor '" + name + "' element " + std::to_string(i) +
                  " is not finite");
    }
  }
  state_ = std::move(restored);
}

}  // namespace cairn
