// The PPO loss of one minibatch and its gradient with respect to the new
// log-probabilities, entropies and values (Schulman et al. 2017):
//
//   r_i      = exp(logp_i - logp_old_i)                                  probability ratio
//   L_CLIP   = mean_i max(-A_i r_i, -A_i clip(r_i, 1 - eps, 1 + eps))    clipped surrogate (eq. 7)
//   L_VF     = mean_i 0.5 (V_i - R_i)^2, or with value clipping
//              mean_i 0.5 max((V_i - R_i)^2, (V_old_i + clip(V_i - V_old_i, -c, c) - R_i)^2)
//   L        = L_CLIP + vf_coef L_VF - ent_coef mean_i H_i                (eq. 9, as a loss)
//
// plus the diagnostics approx_kl = mean((r - 1) - log r) and the clip fraction
// mean(|r - 1| > eps). Advantages are used as given (normalise them before).
// Where max() ties, both branches have the same derivative, so the gradient is the
// one PyTorch's autograd gives.
//
// Template parameter: float for training, double for gradient checks. Sizes must
// all equal the minibatch size (cairn::Error otherwise). Does not allocate.
#pragma once

#include <span>

namespace cairn {

struct PPOLossSettings {
  double clip_coef = 0.2;
  bool clip_value_loss = true;
  double value_clip_coef = 0.2;
  double vf_coef = 0.5;
  double ent_coef = 0.0;
  // The m of the means: 0 for the spans' size. A rank computing the gradient of part of a
  // minibatch passes the whole minibatch's size, so that each sample's gradient has the
  // bits it has when the whole minibatch is computed at once (the terms are then the
  // part's sums divided by that m).
  size_t minibatch_size = 0;
};

struct PPOLossTerms {
  double policy_loss = 0, value_loss = 0, entropy = 0, approx_kl = 0, clip_fraction = 0;
  double total()
      const;  // policy_loss + vf_coef * value_loss - ent_coef * entropy (set by ppo_loss)
  double vf_coef = 0, ent_coef = 0;
};

template <typename T>
struct PPOLossBatch {
  std::span<const T> log_prob, old_log_prob, advantages, values, old_values, returns, entropy;
};

template <typename T>
struct PPOLossGradients {
  std::span<T> d_log_prob, d_values, d_entropy;  // d L / d(input), written
};

template <typename T>
PPOLossTerms ppo_loss(const PPOLossBatch<T>& batch, const PPOLossSettings& settings,
                      const PPOLossGradients<T>& grads);

extern template PPOLossTerms ppo_loss<float>(const PPOLossBatch<float>&, const PPOLossSettings&,
                                             const PPOLossGradients<float>&);
extern template PPOLossTerms ppo_loss<double>(const PPOLossBatch<double>&, const PPOLossSettings&,
                                              const PPOLossGradients<double>&);

}  // namespace cairn
