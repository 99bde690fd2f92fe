// SACUpdate: one gradient step of Soft Actor-Critic (Haarnoja et al. 2018, "Soft
// Actor-Critic Algorithms and Applications", algorithm 1), in the order of CleanRL's
// sac_continuous_action.py, on a batch of transitions:
//
//   1. soft Bellman target (eq. 3, 5), a' ~ pi(.|s') with fresh noise:
//        y = r + discount * (min_i Q'_i(s', a') - alpha log pi(a'|s'))
//   2. critic loss  J_Q = sum_i mean (Q_i(s, a) - y)^2; Adam step of both critics
//   3. policy loss (eq. 7), a~ = tanh(mean + std eps) reparameterised:
//        J_pi = mean (alpha log pi(a~|s) - min_i Q_i(s, a~))      (critics after step 2)
//      Adam step of the actor
//   4. temperature (eq. 18), with step 3's log pi held constant:
//        J(alpha) = mean (-alpha (log pi(a~|s) + target_entropy)),  alpha = exp(log_alpha)
//      Adam step of log_alpha (only with autotune)
//   5. Polyak update of the target critics (when asked: target_update_interval)
// Steps 1 and 3 use the alpha of before step 4. The discount is the replay buffer's
// (gamma^k, 0 after termination). Actions are the squashed ones in [-1, 1]: the critic
// sees them, and the actor's distribution is SquashedGaussian<float>(action_dim)
// (squashed_gaussian.h: clamped log-std, tanh correction). The actor is the policy's
// model; its output "pi" has 2 * action_dim columns, means then raw log-stds.
//
// Noise: rng.normal() for step 1's [batch x d] noise, then step 3's, row-major.
// Non-finite numbers: a loss or gradient that is not finite stops the step before that
// network's optimiser step (result.finite = false; nothing after it is changed).
//
// Allocation: the constructor and reserve() allocate; step() at or below the reserved
// batch does not. Thread safety: not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/algorithms/twin_critic.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/model.h"
#include "cairn/policy/squashed_gaussian.h"

namespace cairn {

// A batch as the updates read it (row b of each array is one transition).
struct TransitionBatchView {
  nn::MatrixSpan<const float> features;       // [batch x feature_size] preprocessed s
  nn::MatrixSpan<const float> actions;        // [batch x action_dim] squashed, in [-1, 1]
  std::span<const float> rewards;             // [batch] (n-step) returns
  std::span<const float> discounts;           // [batch] gamma^k, 0 after termination
  nn::MatrixSpan<const float> next_features;  // [batch x feature_size] preprocessed s'
};

struct SACUpdateSettings {
  bool autotune = true;
  double alpha = 0.2;          // without autotune
  double initial_alpha = 1.0;  // with autotune
  double target_entropy = -1;  // -action_dim by the paper's heuristic
  double tau = 0.005;
  std::optional<double> max_grad_norm;  // global-norm clipping of each network
};

struct SACStepResult {
  bool finite = true;  // false: a loss or gradient was not finite (see the file comment)
  double critic_loss = 0;
  double actor_loss = 0;
  double alpha_loss = 0;  // NaN without autotune
  double alpha = 0;       // used in this step
  double entropy = 0;     // -mean log pi(a~|s)
  double q_mean = 0;      // mean Q_0(s, a)
};

class SACUpdate {
 public:
  // For an actor with parameter layout `actor_layout`. Throws cairn::Error for sizes of
  // 0 or Adam options Adam refuses.
  SACUpdate(const std::vector<nn::TensorInfo>& actor_layout, size_t feature_size, size_t action_dim,
            const nn::AdamOptions& actor_adam, const nn::AdamOptions& alpha_adam,
            const SACUpdateSettings& settings);

  void reserve(size_t batch);

  // One gradient step (see the file comment). Throws cairn::Error on size mismatches
  // (the actor's input and "pi" width, the critics' input width).
  SACStepResult step(nn::Model<float>& actor, TwinCritic& critics, const TransitionBatchView& batch,
                     Rng& rng, bool update_targets);

  double alpha() const;
  double log_alpha() const { return log_alpha_[0]; }
  nn::Adam<float>& actor_optimizer() { return actor_optimizer_; }
  nn::Adam<float>& alpha_optimizer() { return alpha_optimizer_; }
  const SACUpdateSettings& settings() const { return settings_; }
  // The noise of the last step: step 1's (next) and step 3's, [batch x d] each.
  std::span<const float> last_next_noise() const { return {next_eps_.data(), last_batch_ * d_}; }
  std::span<const float> last_noise() const { return {eps_.data(), last_batch_ * d_}; }

  // State: "optimizer/" + prefix + "actor/...", "optimizer/" + prefix + "alpha/..." and
  // prefix + "log_alpha" (F32 [1]).
  void save_state(TensorDict& out, const std::string& prefix) const;
  void restore_state(const TensorDict& in, const std::string& prefix);

 private:
  void sample_actions(nn::Model<float>& actor, nn::MatrixSpan<const float> features,
                      std::span<float> eps, std::span<float> actions, std::span<float> log_probs,
                      Rng& rng);
  void join(nn::MatrixSpan<const float> features, std::span<const float> actions,
            std::vector<float>& out) const;

  size_t feature_size_ = 0, d_ = 0, last_batch_ = 0;
  SACUpdateSettings settings_;
  SquashedGaussian<float> dist_;
  nn::Adam<float> actor_optimizer_, alpha_optimizer_;
  std::vector<float> log_alpha_, log_alpha_grad_;
  // Scratch, [batch x ...].
  std::vector<float> means_, log_stds_, eps_, next_eps_, actions_, next_actions_, log_probs_,
      next_log_probs_, inputs_, next_inputs_, targets_, min_q_, q_pi_, d_actions_, d_log_probs_,
      d_means_, d_log_stds_;
};

}  // namespace cairn
