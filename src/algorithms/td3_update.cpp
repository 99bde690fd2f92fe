#include "cairn/algorithms/td3_update.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/policy/policy.h"

namespace cairn {
namespace {

void resize(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

TD3Update::TD3Update(const std::vector<nn::TensorInfo>& actor_layout, size_t feature_size,
                     size_t action_dim, const nn::AdamOptions& actor_adam,
                     const TD3UpdateSettings& settings)
    : feature_size_(feature_size),
      d_(action_dim),
      settings_(settings),
      actor_optimizer_(actor_layout, actor_adam) {
  if (feature_size == 0 || action_dim == 0) throw Error("TD3Update: sizes must be at least 1");
}

void TD3Update::reserve(size_t batch) {
  resize(eps_, batch * d_);
  resize(actions_, batch * d_);
  resize(inputs_, batch * (feature_size_ + d_));
  resize(targets_, batch);
  resize(min_q_, batch);
  resize(q_pi_, batch);
}

void TD3Update::join(nn::MatrixSpan<const float> features, std::span<const float> actions,
                     std::vector<float>& out) const {
  const size_t batch = static_cast<size_t>(features.rows), width = feature_size_ + d_;
  for (size_t b = 0; b < batch; ++b) {
    std::copy_n(features.data + b * feature_size_, feature_size_, out.data() + b * width);
    std::copy_n(actions.data() + b * d_, d_, out.data() + b * width + feature_size_);
  }
}

TD3StepResult TD3Update::step(nn::Model<float>& actor, nn::Model<float>& target_actor,
                              TwinCritic& critics, const TransitionBatchView& batch, Rng& rng,
                              bool actor_turn) {
  const size_t B = static_cast<size_t>(batch.features.rows), width = feature_size_ + d_;
  if (static_cast<size_t>(batch.features.cols) != feature_size_ ||
      static_cast<size_t>(batch.next_features.cols) != feature_size_ ||
      static_cast<size_t>(batch.next_features.rows) != B ||
      static_cast<size_t>(batch.actions.cols) != d_ ||
      static_cast<size_t>(batch.actions.rows) != B || batch.rewards.size() != B ||
      batch.discounts.size() != B || critics.input_size() != width) {
    throw Error("TD3Update: batch arrays or critics do not match the batch size and widths");
  }
  reserve(B);
  last_batch_ = B;
  const size_t pi_index = actor.output_index(Policy::kPolicyOutput);
  const nn::MatrixSpan<const float> inputs(inputs_.data(), static_cast<nn::Index>(B),
                                           static_cast<nn::Index>(width));
  TD3StepResult r;

  // 1. Target policy smoothing: a' = clip(tanh(mu'(s')) + clip(sigma eps, -c, c), -1, 1);
  //    clipped double-Q target y = r + discount * min_i Q'_i(s', a').
  target_actor.forward(batch.next_features);
  const nn::MatrixSpan<const float> next_pi = target_actor.output(pi_index);
  if (static_cast<size_t>(next_pi.cols) != d_) {
    throw Error("TD3: the actor's output 'pi' has " + std::to_string(next_pi.cols) +
                " columns, expected action_dim = " + std::to_string(d_));
  }
  const float sigma = static_cast<float>(settings_.policy_noise);
  const float c = static_cast<float>(settings_.noise_clip);
  for (size_t k = 0; k < B * d_; ++k) eps_[k] = static_cast<float>(rng.normal());
  for (size_t k = 0; k < B * d_; ++k) {
    const float noise = std::clamp(eps_[k] * sigma, -c, c);
    actions_[k] = std::clamp(std::tanh(next_pi.data[k]) + noise, -1.0f, 1.0f);
  }
  join(batch.next_features, std::span<const float>(actions_.data(), B * d_), inputs_);
  critics.target_min_q(inputs, std::span<float>(min_q_.data(), B));
  for (size_t b = 0; b < B; ++b) targets_[b] = batch.rewards[b] + batch.discounts[b] * min_q_[b];

  // 2. Critic loss J_Q = sum_i mean (Q_i(s, a) - y)^2, one Adam step of both critics.
  join(batch.features, batch.actions.flat(), inputs_);
  const TwinCritic::Loss critic_loss =
      critics.loss_and_gradients(inputs, std::span<const float>(targets_.data(), B));
  r.critic_loss = critic_loss.loss;
  r.q_mean = critic_loss.q_mean[0];
  r.actor_loss = std::numeric_limits<double>::quiet_NaN();
  if (!std::isfinite(r.critic_loss) || !critics.gradients_finite()) {
    r.finite = false;
    return r;
  }
  if (settings_.max_grad_norm) critics.clip_gradients(*settings_.max_grad_norm);
  critics.step();
  if (!actor_turn) return r;

  // 3. Delayed policy update J_mu = -mean Q_0(s, tanh(mu(s))), then the targets.
  actor.zero_grad();
  actor.forward(batch.features);
  const nn::MatrixSpan<const float> pi = actor.output(pi_index);
  for (size_t k = 0; k < B * d_; ++k) actions_[k] = std::tanh(pi.data[k]);
  join(batch.features, std::span<const float>(actions_.data(), B * d_), inputs_);
  const float inv_b = 1.0f / static_cast<float>(B);
  const nn::MatrixSpan<const float> d_inputs =
      critics.input_gradient(inputs, /*use_min=*/false, -inv_b, std::span<float>(q_pi_.data(), B));
  double actor_loss = 0;
  const nn::MatrixSpan<float> d_pi = actor.output_grad(pi_index);
  for (size_t b = 0; b < B; ++b) {
    actor_loss -= q_pi_[b];
    for (size_t j = 0; j < d_; ++j) {
      const float a = actions_[b * d_ + j];
      // d tanh(x)/dx = 1 - tanh(x)^2.
      d_pi.data[b * d_ + j] = d_inputs.data[b * width + feature_size_ + j] * (1.0f - a * a);
    }
  }
  r.actor_loss = actor_loss / static_cast<double>(B);
  actor.backward();
  if (!std::isfinite(r.actor_loss) || !nn::all_finite<float>(actor.flat_gradients())) {
    r.finite = false;
    return r;
  }
  if (settings_.max_grad_norm) nn::clip_grad_norm(actor.flat_gradients(), *settings_.max_grad_norm);
  actor_optimizer_.step(actor.flat_parameters(), actor.flat_gradients());
  polyak_update(actor.flat_parameters(), target_actor.flat_parameters(), settings_.tau);
  critics.polyak_update(settings_.tau);
  return r;
}

void TD3Update::save_state(TensorDict& out, const std::string& prefix) const {
  save_optimizer_state(actor_optimizer_, "optimizer/" + prefix + "actor/", out);
}

void TD3Update::restore_state(const TensorDict& in, const std::string& prefix) {
  nn::Adam<float> actor = actor_optimizer_;
  restore_optimizer_state(actor, "optimizer/" + prefix + "actor/", in);
  actor_optimizer_ = std::move(actor);
}

}  // namespace cairn
