// The update of DQN (Mnih et al. 2015) as named pieces, so that each is tested on its
// own and against PyTorch (tests/algorithms/dqn_update_test.cpp):
//
//   dqn_targets:   y_i = r_i + d_i * Q_target(s'_i, a*_i)                  (Mnih eq. 3)
//                  a*_i = argmax_a Q_online(s'_i, a)   with double_q        (van Hasselt eq. 4)
//                  a*_i = argmax_a Q_target(s'_i, a)   without (y uses the max)
//                  where r_i is the (n-step) return and d_i = gamma^k, or 0 after a
//                  termination (ReplayBuffer's reward and discount).
//   dqn_huber_loss: L = mean_i huber(Q(s_i, a_i) - y_i), huber(x) = x^2/2 if |x| < 1
//                  else |x| - 1/2 (PyTorch's smooth_l1_loss, beta 1), and dL/dQ.
//   update_target_network: theta' <- tau * theta + (1 - tau) * theta' (a copy when tau = 1;
//                  SB3's polyak_update).
//   dqn_update:    one gradient step: targets from the target network, the loss of the
//                  online network, backward, global-norm clipping (nn::clip_grad_norm),
//                  the optimiser's step.
//
// Argmax ties take the first maximum (as torch.max and the greedy policy).
// Allocation: none; callers pass scratch.
#pragma once

#include <cstdint>
#include <span>

#include "cairn/nn/model.h"
#include "cairn/nn/optimizer.h"

namespace cairn {

// Writes y_i into `targets` (rewards.size() == discounts.size() == targets.size() ==
// next_q_target.rows). `next_q_online` is read only with double_q (then it must have
// next_q_target's shape). Throws cairn::Error on a size mismatch.
template <typename T>
void dqn_targets(std::span<const T> rewards, std::span<const T> discounts,
                 nn::MatrixSpan<const T> next_q_target, nn::MatrixSpan<const T> next_q_online,
                 bool double_q, std::span<T> targets);

struct DQNLossTerms {
  double loss = 0;    // mean Huber loss
  double q_mean = 0;  // mean of Q(s_i, a_i) over the batch
};

// The Huber loss of Q(s_i, actions[i]) (q: [batch x n], actions in [0, n)) against the
// targets. Overwrites d_q (q's shape) with dL/dQ: zero except at (i, actions[i]). Throws
// cairn::Error on a size mismatch or an action outside [0, n).
template <typename T>
DQNLossTerms dqn_huber_loss(nn::MatrixSpan<const T> q, std::span<const int64_t> actions,
                            std::span<const T> targets, nn::MatrixSpan<T> d_q);

// theta' <- tau * theta + (1 - tau) * theta', element by element (an exact copy for
// tau = 1). Throws cairn::Error if the sizes differ or tau is outside (0, 1].
void update_target_network(std::span<const float> online, std::span<float> target, double tau);

// One minibatch: `features` and `next_features` are preprocessed observations
// [batch x input_size] (Policy::preprocess), actions are indices in [0, n) (the
// environment's action minus the space's start).
struct DQNBatch {
  nn::MatrixSpan<const float> features, next_features;
  std::span<const int64_t> actions;
  std::span<const float> rewards, discounts;
};

struct DQNUpdateSettings {
  bool double_q = true;
  double max_grad_norm = 10.0;
};

struct DQNUpdateResult {
  DQNLossTerms terms;
  double grad_norm = 0;  // before clipping
  bool applied = false;  // false: the loss or gradient was not finite, nothing changed
};

// One DQN gradient step on `batch`: computes the targets (target network, and the online
// network on next_features with double_q), zeroes the online gradients, backpropagates the
// Huber loss, clips the global norm to settings.max_grad_norm and steps `optimizer` over
// online.flat_parameters(). If the loss or the gradient norm is not finite it returns
// with applied = false before the optimiser step (parameters and optimiser unchanged).
// `targets` is scratch of batch rows. Runs forward on both models (their outputs are
// overwritten). Throws cairn::Error on size mismatches.
DQNUpdateResult dqn_update(const DQNBatch& batch, nn::Model<float>& online,
                           nn::Model<float>& target, nn::Optimizer<float>& optimizer,
                           const DQNUpdateSettings& settings, std::span<float> targets);

}  // namespace cairn
