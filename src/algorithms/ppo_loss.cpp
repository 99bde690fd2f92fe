#include "cairn/algorithms/ppo_loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn {

double PPOLossTerms::total() const {
  return policy_loss + vf_coef * value_loss - ent_coef * entropy;
}

template <typename T>
PPOLossTerms ppo_loss(const PPOLossBatch<T>& b, const PPOLossSettings& s,
                      const PPOLossGradients<T>& g) {
  const size_t m = b.log_prob.size();
  for (size_t n : {b.old_log_prob.size(), b.advantages.size(), b.values.size(), b.old_values.size(),
                   b.returns.size(), b.entropy.size(), g.d_log_prob.size(), g.d_values.size(),
                   g.d_entropy.size()}) {
    if (n != m) {
      throw Error("ppo_loss: every input and gradient must have the minibatch size " +
                  std::to_string(m) + ", one has " + std::to_string(n));
    }
  }
  if (m == 0) throw Error("ppo_loss: empty minibatch");
  const T inv_m = T(1) / static_cast<T>(s.minibatch_size > 0 ? s.minibatch_size : m);
  const T eps = static_cast<T>(s.clip_coef), vc = static_cast<T>(s.value_clip_coef);
  const T vf_coef = static_cast<T>(s.vf_coef), ent_coef = static_cast<T>(s.ent_coef);
  PPOLossTerms terms;
  terms.vf_coef = s.vf_coef;
  terms.ent_coef = s.ent_coef;
  for (size_t i = 0; i < m; ++i) {
    // Probability ratio r = pi(a|s) / pi_old(a|s).
    const T log_ratio = b.log_prob[i] - b.old_log_prob[i];
    const T ratio = std::exp(log_ratio);
    terms.approx_kl += static_cast<double>((ratio - T(1)) - log_ratio);
    terms.clip_fraction += std::abs(ratio - T(1)) > eps ? 1.0 : 0.0;

    // Clipped surrogate: the unclipped branch carries -A r (d r / d logp = r); the
    // clipped branch is flat in r wherever it is the larger one.
    const T a = b.advantages[i];
    const T unclipped = -a * ratio;
    const T clipped = -a * std::clamp(ratio, T(1) - eps, T(1) + eps);
    terms.policy_loss += static_cast<double>(std::max(unclipped, clipped));
    g.d_log_prob[i] = unclipped >= clipped ? -a * ratio * inv_m : T(0);

    // Value loss, optionally clipped around the values that collected the data.
    const T v = b.values[i], target = b.returns[i], v_old = b.old_values[i];
    T d_v;
    if (s.clip_value_loss) {
      const T v_clipped = v_old + std::clamp(v - v_old, -vc, vc);
      const T l_unclipped = (v - target) * (v - target);
      const T l_clipped = (v_clipped - target) * (v_clipped - target);
      terms.value_loss += 0.5 * static_cast<double>(std::max(l_unclipped, l_clipped));
      const bool inside = std::abs(v - v_old) <= vc;
      d_v = l_unclipped >= l_clipped ? (v - target) : (inside ? (v_clipped - target) : T(0));
    } else {
      terms.value_loss += 0.5 * static_cast<double>((v - target) * (v - target));
      d_v = v - target;
    }
    g.d_values[i] = vf_coef * d_v * inv_m;

    // Entropy bonus.
    terms.entropy += static_cast<double>(b.entropy[i]);
    g.d_entropy[i] = -ent_coef * inv_m;
  }
  const double md = static_cast<double>(s.minibatch_size > 0 ? s.minibatch_size : m);
  terms.policy_loss /= md;
  terms.value_loss /= md;
  terms.entropy /= md;
  terms.approx_kl /= md;
  terms.clip_fraction /= md;
  return terms;
}

template PPOLossTerms ppo_loss<float>(const PPOLossBatch<float>&, const PPOLossSettings&,
                                      const PPOLossGradients<float>&);
template PPOLossTerms ppo_loss<double>(const PPOLossBatch<double>&, const PPOLossSettings&,
                                       const PPOLossGradients<double>&);

}  // namespace cairn
