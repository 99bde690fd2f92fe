#include "cairn/algorithms/sac_update.h"

#include <cmath>
#include <limits>

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/policy/policy.h"

namespace cairn {
namespace {

const std::vector<nn::TensorInfo> kLogAlphaLayout = {{"log_alpha", {1}, 0, 1}};

void resize(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

SACUpdate::SACUpdate(const std::vector<nn::TensorInfo>& actor_layout, size_t feature_size,
                     size_t action_dim, const nn::AdamOptions& actor_adam,
                     const nn::AdamOptions& alpha_adam, const SACUpdateSettings& settings)
    : feature_size_(feature_size),
      d_(action_dim),
      settings_(settings),
      dist_(action_dim),
      actor_optimizer_(actor_layout, actor_adam),
      alpha_optimizer_(kLogAlphaLayout, alpha_adam),
      log_alpha_{static_cast<float>(std::log(settings.initial_alpha))},
      log_alpha_grad_(1, 0.0f) {
  if (feature_size == 0) throw Error("SACUpdate: feature_size must be at least 1");
}

void SACUpdate::reserve(size_t batch) {
  const size_t bd = batch * d_, width = feature_size_ + d_;
  for (auto* v : {&means_, &log_stds_, &eps_, &next_eps_, &actions_, &next_actions_, &d_actions_,
                  &d_means_, &d_log_stds_})
    resize(*v, bd);
  for (auto* v : {&log_probs_, &next_log_probs_, &targets_, &min_q_, &q_pi_, &d_log_probs_})
    resize(*v, batch);
  resize(inputs_, batch * width);
  resize(next_inputs_, batch * width);
}

double SACUpdate::alpha() const {
  return settings_.autotune ? static_cast<double>(std::exp(log_alpha_[0])) : settings_.alpha;
}

// Runs the actor on `features` and draws a~ = tanh(mean + std eps) with its log pi.
void SACUpdate::sample_actions(nn::Model<float>& actor, nn::MatrixSpan<const float> features,
                               std::span<float> eps, std::span<float> actions,
                               std::span<float> log_probs, Rng& rng) {
  const size_t batch = static_cast<size_t>(features.rows);
  actor.forward(features);
  const nn::MatrixSpan<const float> pi = actor.output(actor.output_index(Policy::kPolicyOutput));
  if (static_cast<size_t>(pi.cols) != 2 * d_) {
    throw Error("SAC: the actor's output 'pi' has " + std::to_string(pi.cols) +
                " columns, expected 2 * action_dim = " + std::to_string(2 * d_));
  }
  for (size_t b = 0; b < batch; ++b) {
    const float* row = pi.data + b * 2 * d_;
    std::copy(row, row + d_, means_.begin() + static_cast<std::ptrdiff_t>(b * d_));
    std::copy(row + d_, row + 2 * d_, log_stds_.begin() + static_cast<std::ptrdiff_t>(b * d_));
  }
  dist_.rsample(std::span<const float>(means_.data(), batch * d_),
                std::span<const float>(log_stds_.data(), batch * d_), rng, eps, actions, log_probs);
}

void SACUpdate::join(nn::MatrixSpan<const float> features, std::span<const float> actions,
                     std::vector<float>& out) const {
  const size_t batch = static_cast<size_t>(features.rows), width = feature_size_ + d_;
  for (size_t b = 0; b < batch; ++b) {
    std::copy(features.data + b * feature_size_, features.data + (b + 1) * feature_size_,
              out.begin() + static_cast<std::ptrdiff_t>(b * width));
    std::copy(actions.begin() + static_cast<std::ptrdiff_t>(b * d_),
              actions.begin() + static_cast<std::ptrdiff_t>((b + 1) * d_),
              out.begin() + static_cast<std::ptrdiff_t>(b * width + feature_size_));
  }
}

SACStepResult SACUpdate::step(nn::Model<float>& actor, TwinCritic& critics,
                              const TransitionBatchView& batch, Rng& rng, bool update_targets) {
  const size_t B = static_cast<size_t>(batch.features.rows), width = feature_size_ + d_;
  if (static_cast<size_t>(batch.features.cols) != feature_size_ ||
      static_cast<size_t>(batch.next_features.cols) != feature_size_ ||
      static_cast<size_t>(batch.next_features.rows) != B ||
      static_cast<size_t>(batch.actions.cols) != d_ ||
      static_cast<size_t>(batch.actions.rows) != B || batch.rewards.size() != B ||
      batch.discounts.size() != B) {
    throw Error("SACUpdate: batch arrays do not match the batch size and widths");
  }
  if (critics.input_size() != width) {
    throw Error("SACUpdate: the critics take " + std::to_string(critics.input_size()) +
                " inputs, expected features + action_dim = " + std::to_string(width));
  }
  reserve(B);
  last_batch_ = B;
  const std::span<float> next_eps(next_eps_.data(), B * d_), eps(eps_.data(), B * d_);
  const std::span<float> next_actions(next_actions_.data(), B * d_),
      actions(actions_.data(), B * d_);
  const std::span<float> next_log_probs(next_log_probs_.data(), B), log_probs(log_probs_.data(), B);
  SACStepResult r;
  const double alpha = this->alpha();
  const float alpha_f = static_cast<float>(alpha);
  r.alpha = alpha;

  // 1. Soft Bellman target: y = r + discount * (min_i Q'_i(s', a') - alpha log pi(a'|s')).
  sample_actions(actor, batch.next_features, next_eps, next_actions, next_log_probs, rng);
  join(batch.next_features, next_actions, next_inputs_);
  critics.target_min_q(
      {next_inputs_.data(), static_cast<nn::Index>(B), static_cast<nn::Index>(width)},
      std::span<float>(min_q_.data(), B));
  for (size_t b = 0; b < B; ++b) {
    targets_[b] = batch.rewards[b] + batch.discounts[b] * (min_q_[b] - alpha_f * next_log_probs[b]);
  }

  // 2. Critic loss J_Q = sum_i mean (Q_i(s, a) - y)^2, one Adam step of both critics.
  join(batch.features, batch.actions.flat(), inputs_);
  const nn::MatrixSpan<const float> inputs(inputs_.data(), static_cast<nn::Index>(B),
                                           static_cast<nn::Index>(width));
  const TwinCritic::Loss critic_loss =
      critics.loss_and_gradients(inputs, std::span<const float>(targets_.data(), B));
  r.critic_loss = critic_loss.loss;
  r.q_mean = critic_loss.q_mean[0];
  if (!std::isfinite(r.critic_loss) || !critics.gradients_finite()) {
    r.finite = false;
    return r;
  }
  if (settings_.max_grad_norm) critics.clip_gradients(*settings_.max_grad_norm);
  critics.step();

  // 3. Policy loss J_pi = mean (alpha log pi(a~|s) - min_i Q_i(s, a~)), a~ reparameterised.
  actor.zero_grad();
  sample_actions(actor, batch.features, eps, actions, log_probs, rng);
  join(batch.features, actions, inputs_);
  const float inv_b = 1.0f / static_cast<float>(B);
  // dJ_pi/dQ_b = -1/B through the smaller critic; dJ_pi/dlog pi_b = alpha/B.
  const nn::MatrixSpan<const float> d_inputs =
      critics.input_gradient(inputs, /*use_min=*/true, -inv_b, std::span<float>(q_pi_.data(), B));
  double actor_loss = 0, sum_log_prob = 0;
  for (size_t b = 0; b < B; ++b) {
    actor_loss += static_cast<double>(alpha_f * log_probs[b] - q_pi_[b]);
    sum_log_prob += log_probs[b];
    d_log_probs_[b] = alpha_f * inv_b;
    std::copy(d_inputs.data + b * width + feature_size_, d_inputs.data + (b + 1) * width,
              d_actions_.begin() + static_cast<std::ptrdiff_t>(b * d_));
  }
  r.actor_loss = actor_loss / static_cast<double>(B);
  r.entropy = -sum_log_prob / static_cast<double>(B);
  dist_.backward(std::span<const float>(means_.data(), B * d_),
                 std::span<const float>(log_stds_.data(), B * d_), eps,
                 std::span<const float>(d_actions_.data(), B * d_),
                 std::span<const float>(d_log_probs_.data(), B),
                 std::span<float>(d_means_.data(), B * d_),
                 std::span<float>(d_log_stds_.data(), B * d_));
  const nn::MatrixSpan<float> d_pi = actor.output_grad(actor.output_index(Policy::kPolicyOutput));
  for (size_t b = 0; b < B; ++b) {
    std::copy_n(d_means_.data() + b * d_, d_, d_pi.data + b * 2 * d_);
    std::copy_n(d_log_stds_.data() + b * d_, d_, d_pi.data + b * 2 * d_ + d_);
  }
  actor.backward();
  if (!std::isfinite(r.actor_loss) || !nn::all_finite<float>(actor.flat_gradients())) {
    r.finite = false;
    return r;
  }
  if (settings_.max_grad_norm) nn::clip_grad_norm(actor.flat_gradients(), *settings_.max_grad_norm);
  actor_optimizer_.step(actor.flat_parameters(), actor.flat_gradients());

  // 4. Temperature J(alpha) = mean (-alpha (log pi(a~|s) + target_entropy)), alpha =
  // exp(log_alpha):
  //    dJ/dlog_alpha = -alpha * mean (log pi + target_entropy).
  if (settings_.autotune) {
    const float target_entropy = static_cast<float>(settings_.target_entropy);
    float mean_shifted = 0;
    for (size_t b = 0; b < B; ++b) mean_shifted += log_probs[b] + target_entropy;
    mean_shifted /= static_cast<float>(B);
    const float a = std::exp(log_alpha_[0]);
    r.alpha_loss = -static_cast<double>(a * mean_shifted);
    log_alpha_grad_[0] = -a * mean_shifted;
    if (!std::isfinite(log_alpha_grad_[0])) {
      r.finite = false;
      return r;
    }
    alpha_optimizer_.step(log_alpha_, log_alpha_grad_);
  } else {
    r.alpha_loss = std::numeric_limits<double>::quiet_NaN();
  }

  // 5. Target critics: theta'_i <- tau theta_i + (1 - tau) theta'_i.
  if (update_targets) critics.polyak_update(settings_.tau);
  return r;
}

void SACUpdate::save_state(TensorDict& out, const std::string& prefix) const {
  save_optimizer_state(actor_optimizer_, "optimizer/" + prefix + "actor/", out);
  save_optimizer_state(alpha_optimizer_, "optimizer/" + prefix + "alpha/", out);
  out.insert(prefix + "log_alpha", Tensor::f32(log_alpha_, {1}));
}

void SACUpdate::restore_state(const TensorDict& in, const std::string& prefix) {
  nn::Adam<float> actor = actor_optimizer_, alpha = alpha_optimizer_;
  restore_optimizer_state(actor, "optimizer/" + prefix + "actor/", in);
  restore_optimizer_state(alpha, "optimizer/" + prefix + "alpha/", in);
  std::vector<float> log_alpha =
      in.expect(prefix + "log_alpha", DType::f32, {1}).to_vector<float>();
  if (!std::isfinite(log_alpha[0])) {
    throw Error(in.source() + ": tensor '" + prefix + "log_alpha' is not finite");
  }
  actor_optimizer_ = std::move(actor);
  alpha_optimizer_ = std::move(alpha);
  log_alpha_ = std::move(log_alpha);
}

}  // namespace cairn
