#include "cairn/algorithms/dqn_update.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "cairn/nn/grad_clip.h"

namespace cairn {
namespace {

// First maximum of a row (torch.max's and the greedy policy's tie rule).
template <typename T>
nn::Index argmax(const T* row, nn::Index n) {
  nn::Index best = 0;
  for (nn::Index k = 1; k < n; ++k) {
    if (row[k] > row[best]) best = k;
  }
  return best;
}

void check_size(const char* what, size_t got, size_t want) {
  if (got != want) {
    throw Error(std::string("DQN update: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

}  // namespace

template <typename T>
void dqn_targets(std::span<const T> rewards, std::span<const T> discounts,
                 nn::MatrixSpan<const T> next_q_target, nn::MatrixSpan<const T> next_q_online,
                 bool double_q, std::span<T> targets) {
  const size_t batch = static_cast<size_t>(next_q_target.rows);
  check_size("rewards", rewards.size(), batch);
  check_size("discounts", discounts.size(), batch);
  check_size("targets", targets.size(), batch);
  if (double_q &&
      (next_q_online.rows != next_q_target.rows || next_q_online.cols != next_q_target.cols)) {
    throw Error(
        "DQN update: the online network's next Q-values have another shape than the "
        "target network's");
  }
  const nn::Index n = next_q_target.cols;
  for (size_t i = 0; i < batch; ++i) {
    const T* q_target = next_q_target.data + i * n;
    // Double Q-learning: the online network selects, the target network evaluates.
    const nn::Index a_star = double_q ? argmax(next_q_online.data + i * n, n) : argmax(q_target, n);
    // y = r + d * Q_target(s', a*)
    targets[i] = rewards[i] + discounts[i] * q_target[a_star];
  }
}

template <typename T>
DQNLossTerms dqn_huber_loss(nn::MatrixSpan<const T> q, std::span<const int64_t> actions,
                            std::span<const T> targets, nn::MatrixSpan<T> d_q) {
  const size_t batch = static_cast<size_t>(q.rows);
  const nn::Index n = q.cols;
  check_size("actions", actions.size(), batch);
  check_size("targets", targets.size(), batch);
  if (d_q.rows != q.rows || d_q.cols != q.cols) {
    throw Error("DQN update: the Q-value gradient has another shape than the Q-values");
  }
  DQNLossTerms terms;
  double loss = 0, q_sum = 0;
  const T inv_batch = T(1) / static_cast<T>(batch);
  for (size_t i = 0; i < batch; ++i) {
    if (actions[i] < 0 || actions[i] >= n) {
      throw Error("DQN update: action " + std::to_string(actions[i]) + " of row " +
                  std::to_string(i) + " is outside [0, " + std::to_string(n) + ")");
    }
    T* grad_row = d_q.data + i * n;
    for (nn::Index k = 0; k < n; ++k) grad_row[k] = T(0);
    const T q_sa = q.data[i * n + actions[i]];
    const T x = q_sa - targets[i];  // TD error
    const T ax = std::abs(x);
    // huber(x) = x^2 / 2 for |x| < 1, |x| - 1/2 otherwise; huber'(x) = clamp(x, -1, 1).
    loss += ax < T(1) ? static_cast<double>(T(0.5) * x * x) : static_cast<double>(ax - T(0.5));
    const T slope = ax < T(1) ? x : (x > T(0) ? T(1) : T(-1));
    grad_row[actions[i]] = slope * inv_batch;
    q_sum += static_cast<double>(q_sa);
  }
  terms.loss = loss / static_cast<double>(batch);
  terms.q_mean = q_sum / static_cast<double>(batch);
  return terms;
}

void update_target_network(std::span<const float> online, std::span<float> target, double tau) {
  check_size("target network", target.size(), online.size());
  if (!(tau > 0.0 && tau <= 1.0)) {
    throw Error("DQN update: tau must be in (0, 1], got " + std::to_string(tau));
  }
  if (tau == 1.0) {
    std::copy(online.begin(), online.end(), target.begin());
    return;
  }
  // SB3's polyak_update: target.mul_(1 - tau).add_(online, alpha=tau).
  const float keep = static_cast<float>(1.0 - tau), take = static_cast<float>(tau);
  for (size_t i = 0; i < online.size(); ++i) target[i] = target[i] * keep + take * online[i];
}

DQNUpdateResult dqn_update(const DQNBatch& batch, nn::Model<float>& online,
                           nn::Model<float>& target, nn::Optimizer<float>& optimizer,
                           const DQNUpdateSettings& settings, std::span<float> targets) {
  const size_t q_out = online.output_index("q");
  const size_t q_out_target = target.output_index("q");
  DQNUpdateResult result;
  // Targets (no gradient): Q_target(s', .), and Q_online(s', .) for double Q-learning.
  target.forward(batch.next_features);
  if (settings.double_q) {
    online.forward(batch.next_features);
    // The online outputs are overwritten by the next forward: take the argmax first, into
    // `targets`, by computing the targets now (the target network's outputs stay valid).
    dqn_targets<float>(batch.rewards, batch.discounts, target.output(q_out_target),
                       online.output(q_out), true, targets);
  } else {
    dqn_targets<float>(batch.rewards, batch.discounts, target.output(q_out_target), {}, false,
                       targets);
  }
  // Loss of the online network on (s, a).
  online.forward(batch.features);
  online.zero_grad();
  result.terms = dqn_huber_loss<float>(online.output(q_out), batch.actions, targets,
                                       online.output_grad(q_out));
  if (!std::isfinite(result.terms.loss)) return result;
  online.backward();
  result.grad_norm = nn::clip_grad_norm<float>(online.flat_gradients(), settings.max_grad_norm);
  if (!std::isfinite(result.grad_norm)) return result;
  optimizer.step(online.flat_parameters(), online.flat_gradients());
  result.applied = true;
  return result;
}

template void dqn_targets<float>(std::span<const float>, std::span<const float>,
                                 nn::MatrixSpan<const float>, nn::MatrixSpan<const float>, bool,
                                 std::span<float>);
template void dqn_targets<double>(std::span<const double>, std::span<const double>,
                                  nn::MatrixSpan<const double>, nn::MatrixSpan<const double>, bool,
                                  std::span<double>);
template DQNLossTerms dqn_huber_loss<float>(nn::MatrixSpan<const float>, std::span<const int64_t>,
                                            std::span<const float>, nn::MatrixSpan<float>);
template DQNLossTerms dqn_huber_loss<double>(nn::MatrixSpan<const double>, std::span<const int64_t>,
                                             std::span<const double>, nn::MatrixSpan<double>);

}  // namespace cairn
