// TD3Update: one gradient step of Twin Delayed DDPG (Fujimoto et al. 2018, "Addressing
// Function Approximation Error in Actor-Critic Methods", algorithm 1), in the order of
// CleanRL's td3_continuous_action.py, on a batch of transitions:
//
//   1. target policy smoothing (section 5.3), in the squashed range [-1, 1]:
//        a' = clip(tanh(mu'(s')) + clip(policy_noise * eps, -noise_clip, noise_clip), -1, 1)
//      clipped double-Q target (section 4.1):
//        y = r + discount * min_i Q'_i(s', a')
//   2. critic loss  J_Q = sum_i mean (Q_i(s, a) - y)^2; Adam step of both critics
//   3. only on the actor's turn (every policy_delay critic updates, section 5.2):
//        J_mu = -mean Q_0(s, tanh(mu(s)));  Adam step of the actor
//        Polyak update of the target actor and the target critics with tau
// The actor is the policy's model; its output "pi" has action_dim columns and the action
// is tanh("pi") (policy head "deterministic"). The critic sees squashed actions.
//
// Noise: rng.normal() for step 1's [batch x d] noise, row-major.
// Non-finite numbers: as SACUpdate (result.finite = false before the offending step).
// Allocation: the constructor and reserve() allocate; step() at or below the reserved
// batch does not. Thread safety: not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/algorithms/sac_update.h"
#include "cairn/algorithms/twin_critic.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/model.h"

namespace cairn {

struct TD3UpdateSettings {
  double policy_noise = 0.2;
  double noise_clip = 0.5;
  double tau = 0.005;
  std::optional<double> max_grad_norm;
};

struct TD3StepResult {
  bool finite = true;
  double critic_loss = 0;
  double actor_loss = 0;  // NaN when the actor was not updated
  double q_mean = 0;      // mean Q_0(s, a)
};

class TD3Update {
 public:
  TD3Update(const std::vector<nn::TensorInfo>& actor_layout, size_t feature_size, size_t action_dim,
            const nn::AdamOptions& actor_adam, const TD3UpdateSettings& settings);

  void reserve(size_t batch);

  // One gradient step; `actor_turn` runs step 3. `target_actor` is a copy of the actor's
  // model (same spec). Throws cairn::Error on size mismatches.
  TD3StepResult step(nn::Model<float>& actor, nn::Model<float>& target_actor, TwinCritic& critics,
                     const TransitionBatchView& batch, Rng& rng, bool actor_turn);

  nn::Adam<float>& actor_optimizer() { return actor_optimizer_; }
  std::span<const float> last_noise() const { return {eps_.data(), last_batch_ * d_}; }

  // State: "optimizer/" + prefix + "actor/...".
  void save_state(TensorDict& out, const std::string& prefix) const;
  void restore_state(const TensorDict& in, const std::string& prefix);

 private:
  void join(nn::MatrixSpan<const float> features, std::span<const float> actions,
            std::vector<float>& out) const;

  size_t feature_size_ = 0, d_ = 0, last_batch_ = 0;
  TD3UpdateSettings settings_;
  nn::Adam<float> actor_optimizer_;
  std::vector<float> eps_, actions_, inputs_, targets_, min_q_, q_pi_;
};

}  // namespace cairn
