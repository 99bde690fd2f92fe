// OrnsteinUhlenbeckNoise: temporally correlated exploration noise, one process per
// environment and action element (Uhlenbeck & Ornstein 1930; used for exploration by
// DDPG, Lillicrap et al. 2016, and by rl-baselines3-zoo's TD3 on MountainCarContinuous).
//
// Each element follows the Euler-Maruyama discretisation Stable-Baselines3's
// OrnsteinUhlenbeckActionNoise uses:
//   x_{t+1} = x_t + theta * (mu - x_t) * dt + sigma * sqrt(dt) * N(0, 1)
// with mu = 0 and x_0 = 0. Why: Gaussian noise independent per step averages out over a
// few steps, so it cannot push a car up a hill for hundreds of steps; this process keeps
// its direction for about 1 / (theta * dt) steps (667 with the defaults). Stationary
// variance: sigma^2 * dt / (1 - (1 - theta * dt)^2) = sigma^2 / (2 * theta - theta^2 * dt).
//
// Values are in the squashed action range [-1, 1] (a fraction of the Box's half range,
// as TD3's Gaussian exploration_noise); the caller adds, rescales and clips.
//
// State: "<prefix>state", F64 [num_envs, action_dim], the x_t of every process. The
// parameters are the config's, not part of the state.
//
// Thread safety: not thread-safe. sample() and reset() do not allocate.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "cairn/io/safetensors.h"
#include "cairn/random/random.h"

namespace cairn {

struct OrnsteinUhlenbeckOptions {
  double sigma = 0.5;   // diffusion scale
  double theta = 0.15;  // mean-reversion rate
  double dt = 1e-2;     // time step of the discretisation
};

class OrnsteinUhlenbeckNoise {
 public:
  // Throws cairn::Error naming the option unless sigma >= 0, theta >= 0 and dt > 0 are
  // finite and theta * dt <= 1 (beyond it the process oscillates instead of reverting),
  // or num_envs or action_dim is 0. Allocates the state (all zero).
  OrnsteinUhlenbeckNoise(size_t num_envs, size_t action_dim, OrnsteinUhlenbeckOptions options);

  // Advances every process one step and writes x_{t+1} into `noise`
  // ([num_envs x action_dim], row-major): exactly num_envs * action_dim normals from
  // `rng`, in that order. Throws cairn::Error on a wrong size.
  void sample(Rng& rng, std::span<float> noise);
  // Restarts environment `env`'s processes at 0 (at the end of its episode). Throws
  // cairn::Error if env >= num_envs().
  void reset(size_t env);
  void reset_all();

  // The variance the process tends to: sigma^2 / (2 * theta - theta^2 * dt); infinite
  // when theta is 0 (a random walk).
  double stationary_variance() const;

  size_t num_envs() const { return num_envs_; }
  size_t action_dim() const { return action_dim_; }
  const OrnsteinUhlenbeckOptions& options() const { return options_; }
  std::span<const double> state() const { return state_; }

  void save_state(TensorDict& out, const std::string& prefix) const;
  // Throws cairn::Error naming the source and tensor if it is missing, of another dtype
  // or shape, or not finite; the state is unchanged then.
  void restore_state(const TensorDict& in, const std::string& prefix);

 private:
  size_t num_envs_, action_dim_;
  OrnsteinUhlenbeckOptions options_;
  std::vector<double> state_;
};

}  // namespace cairn
