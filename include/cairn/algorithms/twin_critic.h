// TwinCritic: the pair of Q-networks that SAC and TD3 learn (clipped double
// Q-learning, Fujimoto et al. 2018, section 4.1), their target copies and their Adam
// optimisers. One home for what both algorithms do with their critics:
//
//   target value     min_i Q'_i(s', a')                                 (target_min_q)
//   critic loss      L = sum_i mean_b (Q_i(s_b, a_b) - y_b)^2           (loss_and_gradients)
//                    (CleanRL's qf1_loss + qf2_loss; the targets y are constants)
//   actor signal     d/da of sum_b w_b Q(s_b, a_b), with Q = Q_1 (TD3) or min(Q_1, Q_2)
//                    (SAC; at a tie each critic gets half, as torch.min's gradient)
//   Polyak update    theta'_i <- tau theta_i + (1 - tau) theta'_i       (polyak_update)
//
// A critic's input is [observation features | action], the action in the squashed
// range [-1, 1] (as Stable-Baselines3 stores it), and its output "q" one column; the
// spec is nn::q_critic_spec's. Both critics share one spec; they are initialised one
// after the other from one generator, and the targets start as copies.
//
// State (save_state, state_tensors.h): prefix + "critic_<i>/<parameter>" and
// "target_<i>/<parameter>", and the optimisers under "optimizer/" + prefix + "critic_<i>/"
// for i = 0, 1 (the frame checks every "optimizer/" tensor).
//
// Allocation: the constructor and reserve() allocate; every other method at or below
// the reserved batch does not (save_state/restore_state do). Thread safety: not
// thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "cairn/io/safetensors.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/model.h"
#include "cairn/random/random.h"

namespace cairn {

class TwinCritic {
 public:
  static constexpr size_t kCritics = 2;

  // The output every critic spec must have.
  static constexpr const char* kQOutput = "q";

  // Builds both critics from `spec` (initialised from `rng`, critic 0 first) and their
  // optimisers. Throws cairn::Error if the spec has no output "q" of one column.
  TwinCritic(const nn::ModelSpec& spec, const nn::AdamOptions& adam, Rng& rng);

  size_t input_size() const { return static_cast<size_t>(critics_[0].input_size()); }
  // Sizes every buffer for batches up to `batch` (allocates now, not later).
  void reserve(size_t batch);

  nn::Model<float>& critic(size_t i) { return critics_[i]; }
  const nn::Model<float>& critic(size_t i) const { return critics_[i]; }
  nn::Model<float>& target(size_t i) { return targets_[i]; }
  const nn::Model<float>& target(size_t i) const { return targets_[i]; }
  nn::Adam<float>& optimizer(size_t i) { return optimizers_[i]; }

  // min(Q'_0, Q'_1) of the target critics for each row of `inputs` [batch x
  // input_size()], written into `out` [batch].
  void target_min_q(nn::MatrixSpan<const float> inputs, std::span<float> out);

  struct Loss {
    double loss = 0;                 // sum of the two mean squared errors
    std::array<double, 2> q_mean{};  // mean Q_i over the batch
  };
  // Zeroes the critics' gradients, then computes the critic loss against `targets`
  // [batch] and adds its gradients.
  Loss loss_and_gradients(nn::MatrixSpan<const float> inputs, std::span<const float> targets);
  // True if every critic gradient is finite.
  bool gradients_finite() const;
  // Clips each critic's gradient to global norm max_norm (nn::clip_grad_norm).
  void clip_gradients(double max_norm);
  // One Adam step of both critics.
  void step();
  void set_learning_rate(double lr);

  // The actor's signal: with `use_min` Q = min(Q_0, Q_1), else Q = Q_0, on `inputs`;
  // writes Q into `q` [batch] and returns d(sum_b weight * Q_b)/d(inputs)
  // [batch x input_size()], valid until the next call. The critics' parameter
  // gradients are not computed (they are left as they were).
  nn::MatrixSpan<const float> input_gradient(nn::MatrixSpan<const float> inputs, bool use_min,
                                             float weight, std::span<float> q);

  // theta'_i <- tau theta_i + (1 - tau) theta'_i for both critics, in float.
  void polyak_update(double tau);

  void save_state(TensorDict& out, const std::string& prefix) const;
  // Throws cairn::Error naming the tensor; on error the critics are unchanged.
  void restore_state(const TensorDict& in, const std::string& prefix);

 private:
  std::array<nn::Model<float>, 2> critics_, targets_;
  std::array<nn::Adam<float>, 2> optimizers_;
  std::vector<float> q_scratch_, input_grad_;
};

// theta' <- tau theta + (1 - tau) theta' over two parameter vectors of one layout, in
// float as torch's in-place Polyak update. Throws cairn::Error on a size mismatch.
void polyak_update(std::span<const float> online, std::span<float> target, double tau);

}  // namespace cairn
