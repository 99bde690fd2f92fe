#include "cairn/algorithms/ppo_learner.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/activation.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/gemm.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/model.h"

namespace cairn {
namespace {

// Whether every parameter gradient of the model is a sum over samples in the engine's fixed
// blocks (nn/gemm.h), so that a minibatch's gradient can be split across ranks by blocks
// exactly: dense layers are; activations and concatenations have no parameters; other
// layers (layer_norm, a plugin's) are not known to be.
bool gradients_are_block_sums(const nn::ModelSpec& spec) {
  for (const nn::BlockSpec& block : spec.blocks) {
    for (const nn::LayerSpec& layer : block.layers) {
      if (layer.type == "dense" || layer.type == "concat") continue;
      try {
        nn::Activation::from_name(layer.type, "layer type");
      } catch (const Error&) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

PPOLearner::PPOLearner(Policy& policy, const PPOConfig& config, const RolloutSizes& sizes,
                       size_t max_minibatch_rows, distributed::Communicator& comm,
                       std::function<std::string()> where)
    : policy_(policy), config_(config), where_(std::move(where)) {
  recurrent_ = sizes.sequence_length > 0;
  feature_size_ = sizes.feature_size;
  action_dim_ = sizes.action_dim;
  state_size_ = sizes.state_size;
  sequence_length_ = sizes.sequence_length;

  nn::AdamOptions adam;
  adam.lr = config_.learning_rate;
  adam.eps = config_.adam_eps;
  model_optimizer_ = std::make_unique<nn::Adam<float>>(policy_.model().parameters(), adam);
  if (!policy_.log_std().empty()) {
    log_std_layout_.push_back(
        {"log_std", {static_cast<int64_t>(policy_.log_std().size())}, 0, policy_.log_std().size()});
    log_std_optimizer_ = std::make_unique<nn::Adam<float>>(log_std_layout_, adam);
    log_std_grad_.assign(policy_.log_std().size(), 0.0f);
  }

  const size_t mb = max_minibatch_rows;
  order_.reserve(recurrent_ ? sizes.num_steps * sizes.num_envs / sizes.sequence_length
                            : sizes.num_steps * sizes.num_envs);
  minibatch_ = std::make_unique<RolloutMinibatch>(sizes, mb);
  mb_log_probs_.resize(mb);
  mb_entropy_.resize(mb);
  mb_d_log_prob_.resize(mb);
  mb_d_entropy_.resize(mb);
  if (comm.size() > 1 && gradients_are_block_sums(policy_.model().spec())) {
    const size_t width = policy_.model().num_parameters() + log_std_grad_.size();
    block_gradients_ = std::make_unique<distributed::BlockGradients>(comm, width, 3, mb);
    mb_values_.resize(mb);
    mb_d_values_.resize(mb);
    all_rows_.resize(3 * mb);
    gradient_sum_.resize(width);
  }
}

PPOLearner::~PPOLearner() = default;

PPOLossSettings PPOLearner::loss_settings(size_t minibatch_size) const {
  return {config_.clip_coef, config_.clip_value_loss, config_.value_clip_coef,
          config_.vf_coef,   config_.ent_coef,        minibatch_size};
}

// The minibatch's loss and gradient, computed here whole.
PPOLossTerms PPOLearner::whole_gradient(size_t m) {
  Policy& pi = policy_;
  const ActionDistribution<float>& dist = pi.distribution();
  const RolloutMinibatch& mb = *minibatch_;
  const std::span<const float> features =
      std::span<const float>(mb.features).first(m * feature_size_);
  if (recurrent_) {
    // Whole sequences, time-major, from the states the rollout started them with
    // (backpropagation through time within each sequence).
    pi.forward(features, {static_cast<nn::Index>(sequence_length_),
                          nn::MatrixSpan<const float>(mb.initial_states.data(),
                                                      static_cast<nn::Index>(mb.sequences),
                                                      static_cast<nn::Index>(state_size_)),
                          std::span<const uint8_t>(mb.starts).first(m)});
  } else {
    pi.forward(features);
  }
  const std::span<const float> inputs = pi.distribution_inputs().flat();
  const std::span<const float> values(pi.value_outputs().data, m);
  const std::span<float> new_logp(mb_log_probs_.data(), m), entropy(mb_entropy_.data(), m);
  const std::span<const int64_t> acts_i(mb.action_indices.data(),
                                        dist.is_discrete() ? m * action_dim_ : 0);
  const std::span<const float> acts_f(mb.raw_actions.data(),
                                      dist.is_discrete() ? 0 : m * action_dim_);
  dist.log_prob(inputs, pi.log_std(), acts_i, acts_f, new_logp);
  dist.entropy(inputs, pi.log_std(), entropy);

  nn::Model<float>& model = pi.model();
  model.zero_grad();
  std::fill(log_std_grad_.begin(), log_std_grad_.end(), 0.0f);
  const nn::MatrixSpan<float> d_values =
      model.output_grad(model.output_index(Policy::kValueOutput));
  const PPOLossTerms terms =
      ppo_loss<float>({new_logp, std::span<const float>(mb.log_probs).first(m),
                       std::span<const float>(mb.advantages).first(m), values,
                       std::span<const float>(mb.values).first(m),
                       std::span<const float>(mb.returns).first(m), entropy},
                      loss_settings(),
                      {std::span<float>(mb_d_log_prob_).first(m), d_values.flat(),
                       std::span<float>(mb_d_entropy_).first(m)});
  const nn::MatrixSpan<float> d_inputs =
      model.output_grad(model.output_index(Policy::kPolicyOutput));
  dist.backward(inputs, pi.log_std(), acts_i, acts_f,
                std::span<const float>(mb_d_log_prob_).first(m),
                std::span<const float>(mb_d_entropy_).first(m), d_inputs.flat(), log_std_grad_);
  model.backward();
  return terms;
}

// The same loss and gradient, the same bits, split across the ranks (BlockGradients): each
// rank runs its blocks of samples forward and back (a sample's gradient needs only that
// sample and the minibatch's size), keeping each block's parameter gradient apart
// (Model::backward_blocks), the blocks' gradients are added in block order, and the
// per-sample log-probabilities, entropies and values gathered with them give every rank the
// whole minibatch's loss terms.
PPOLossTerms PPOLearner::split_gradient(size_t m) {
  Policy& pi = policy_;
  const ActionDistribution<float>& dist = pi.distribution();
  const RolloutMinibatch& mb = *minibatch_;
  nn::Model<float>& model = pi.model();
  distributed::BlockGradients& blocks = *block_gradients_;
  const size_t params = model.num_parameters(), width = blocks.width();
  const distributed::Share own = blocks.own_rows(m);
  const size_t r0 = own.begin, n = own.end - own.begin;
  const std::span<float> own_gradients = blocks.own_block_gradients(m);
  if (n > 0) {
    pi.forward(std::span<const float>(mb.features).subspan(r0 * feature_size_, n * feature_size_));
    const std::span<const float> inputs = pi.distribution_inputs().flat();
    const size_t a = dist.is_discrete() ? 0 : action_dim_;   // floats per raw action
    const size_t ai = dist.is_discrete() ? action_dim_ : 0;  // integers per action
    const std::span<const int64_t> acts_i(mb.action_indices.data() + r0 * ai, n * ai);
    const std::span<const float> acts_f(mb.raw_actions.data() + r0 * a, n * a);
    const std::span<float> logp(mb_log_probs_.data() + r0, n), entropy(mb_entropy_.data() + r0, n);
    dist.log_prob(inputs, pi.log_std(), acts_i, acts_f, logp);
    dist.entropy(inputs, pi.log_std(), entropy);
    const std::span<const float> values(pi.value_outputs().data, n);
    const std::span<float> row_values = blocks.own_row_values(m);
    for (size_t i = 0; i < n; ++i) {
      row_values[3 * i] = logp[i];
      row_values[3 * i + 1] = entropy[i];
      row_values[3 * i + 2] = values[i];
    }

    // Per-sample gradients of the loss, with the whole minibatch's m.
    const nn::MatrixSpan<float> d_values =
        model.output_grad(model.output_index(Policy::kValueOutput));
    ppo_loss<float>({logp, std::span<const float>(mb.log_probs).subspan(r0, n),
                     std::span<const float>(mb.advantages).subspan(r0, n), values,
                     std::span<const float>(mb.values).subspan(r0, n),
                     std::span<const float>(mb.returns).subspan(r0, n), entropy},
                    loss_settings(m),
                    {std::span<float>(mb_d_log_prob_).subspan(r0, n), d_values.flat(),
                     std::span<float>(mb_d_entropy_).subspan(r0, n)});
    // The distribution's backward one block at a time: its log-std gradient per block.
    const nn::MatrixSpan<float> d_inputs =
        model.output_grad(model.output_index(Policy::kPolicyOutput));
    const size_t block_rows = static_cast<size_t>(nn::kGradientBlock);
    const size_t in_width = dist.num_inputs();
    for (size_t b0 = 0; b0 < n; b0 += block_rows) {
      const size_t k = std::min(block_rows, n - b0);
      dist.backward(inputs.subspan(b0 * in_width, k * in_width), pi.log_std(),
                    acts_i.subspan(b0 * ai, k * ai), acts_f.subspan(b0 * a, k * a),
                    std::span<const float>(mb_d_log_prob_).subspan(r0 + b0, k),
                    std::span<const float>(mb_d_entropy_).subspan(r0 + b0, k),
                    d_inputs.flat().subspan(b0 * in_width, k * in_width),
                    own_gradients.subspan((b0 / block_rows) * width + params, width - params));
    }
    model.backward_blocks(own_gradients, width);
  }

  // Every block's gradient, added in block order, and every sample's values, on every rank.
  blocks.reduce(m, gradient_sum_, std::span<float>(all_rows_).first(3 * m));
  std::copy(gradient_sum_.begin(), gradient_sum_.begin() + static_cast<std::ptrdiff_t>(params),
            model.flat_gradients().begin());
  std::copy(gradient_sum_.begin() + static_cast<std::ptrdiff_t>(params), gradient_sum_.end(),
            log_std_grad_.begin());
  for (size_t i = 0; i < m; ++i) {
    mb_log_probs_[i] = all_rows_[3 * i];
    mb_entropy_[i] = all_rows_[3 * i + 1];
    mb_values_[i] = all_rows_[3 * i + 2];
  }
  // The loss terms of the whole minibatch, as one process computes them (its per-sample
  // gradients, already applied, are written to scratch).
  return ppo_loss<float>(
      {std::span<const float>(mb_log_probs_).first(m),
       std::span<const float>(mb.log_probs).first(m),
       std::span<const float>(mb.advantages).first(m), std::span<const float>(mb_values_).first(m),
       std::span<const float>(mb.values).first(m), std::span<const float>(mb.returns).first(m),
       std::span<const float>(mb_entropy_).first(m)},
      loss_settings(),
      {std::span<float>(mb_d_log_prob_).first(m), std::span<float>(mb_d_values_).first(m),
       std::span<float>(mb_d_entropy_).first(m)});
}

// One gradient step on the minibatch `indices`. Returns its approximate KL.
double PPOLearner::minibatch_step(RolloutBuffer& rollout, std::span<const size_t> indices,
                                  LossSums& sums) {
  RolloutMinibatch& mb = *minibatch_;
  if (recurrent_) {
    rollout.gather_sequences(indices, mb);  // `indices` are sequences
  } else {
    rollout.gather(indices, mb);
  }
  const size_t m = mb.rows;

  // Advantage normalisation, per minibatch (unbiased std, as torch.Tensor.std()).
  if (config_.normalize_advantages && m > 1) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < m; ++i) mean += mb.advantages[i];
    mean /= static_cast<double>(m);
    for (size_t i = 0; i < m; ++i) var += (mb.advantages[i] - mean) * (mb.advantages[i] - mean);
    const double std = std::sqrt(var / static_cast<double>(m - 1));
    for (size_t i = 0; i < m; ++i) {
      mb.advantages[i] = static_cast<float>((mb.advantages[i] - mean) / (std + 1e-8));
    }
  }

  // The PPO loss (clipped surrogate + value loss - entropy bonus) and its gradient.
  const PPOLossTerms terms = block_gradients_ ? split_gradient(m) : whole_gradient(m);
  Policy& pi = policy_;
  nn::Model<float>& model = pi.model();

  // Global-norm gradient clipping over every trained parameter (model and log-std).
  const double norm = std::hypot(nn::global_norm<float>(model.flat_gradients()),
                                 nn::global_norm<float>(std::span<const float>(log_std_grad_)));
  if (!std::isfinite(norm) || !std::isfinite(terms.policy_loss) ||
      !std::isfinite(terms.value_loss) || !std::isfinite(terms.entropy)) {
    if (config_.non_finite == NonFiniteHandling::kSkip) {
      ++skipped_minibatches_;
      return 0.0;
    }
    std::string bad =
        nn::describe_non_finite(std::span<const float>(model.flat_gradients()), model.parameters());
    if (bad.empty())
      bad = nn::describe_non_finite(std::span<const float>(log_std_grad_), log_std_layout_);
    if (bad.empty()) bad = "the norm overflows";
    throw Error(where_() + ", epoch " + std::to_string(epoch_ + 1) +
                ": the loss or gradient of a minibatch is not finite (policy_loss " +
                std::to_string(terms.policy_loss) + ", value_loss " +
                std::to_string(terms.value_loss) + ", entropy " + std::to_string(terms.entropy) +
                "; gradient: " + bad + ")");
  }
  const double coef = config_.max_grad_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (float& g : model.flat_gradients()) g *= static_cast<float>(coef);
    for (float& g : log_std_grad_) g *= static_cast<float>(coef);
  }
  model_optimizer_->step(model.flat_parameters(), model.flat_gradients());
  if (log_std_optimizer_) log_std_optimizer_->step(pi.log_std(), log_std_grad_);

  sums.policy_loss += terms.policy_loss;
  sums.value_loss += terms.value_loss;
  sums.entropy += terms.entropy;
  sums.approx_kl += terms.approx_kl;
  sums.clip_fraction += terms.clip_fraction;
  return terms.approx_kl;
}

void PPOLearner::update(RolloutBuffer& rollout, std::span<const size_t> units, double learning_rate,
                        Rng& shuffle_rng, TrainResult& result) {
  model_optimizer_->set_learning_rate(learning_rate);
  if (log_std_optimizer_) log_std_optimizer_->set_learning_rate(learning_rate);

  // Every metric, in a fixed order, before any is measured.
  Metrics& metrics = result.metrics;
  for (const char* name : {"policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction",
                           "explained_variance", "stopped_early_kl"}) {
    metrics.set(name, 0.0);
  }
  const size_t n_units = units.size();
  const size_t num_minibatches = static_cast<size_t>(config_.num_minibatches);
  skipped_minibatches_ = 0;
  if (n_units == 0) return;
  // The order starts from the given one every iteration, so that it depends on the shuffle
  // generator alone (and a resumed run draws the same minibatches).
  order_.assign(units.begin(), units.end());
  LossSums epoch_sums;
  for (int64_t epoch = 0; epoch < config_.num_epochs; ++epoch) {
    epoch_ = epoch;
    // Fisher-Yates shuffle with the run's own generator.
    for (size_t i = n_units - 1; i > 0; --i) std::swap(order_[i], order_[shuffle_rng.below(i + 1)]);
    epoch_sums = LossSums();
    double kl_sum = 0;
    size_t steps = 0;
    for (size_t j = 0; j < num_minibatches; ++j) {
      const size_t begin = j * n_units / num_minibatches;
      const size_t end = (j + 1) * n_units / num_minibatches;
      if (begin == end) continue;
      kl_sum += minibatch_step(rollout, std::span<const size_t>(order_).subspan(begin, end - begin),
                               epoch_sums);
      ++steps;
    }
    const double n = static_cast<double>(steps);
    metrics.set("policy_loss", epoch_sums.policy_loss / n);
    metrics.set("value_loss", epoch_sums.value_loss / n);
    metrics.set("entropy", epoch_sums.entropy / n);
    metrics.set("approx_kl", epoch_sums.approx_kl / n);
    metrics.set("clip_fraction", epoch_sums.clip_fraction / n);
    // KL early stop: the policy moved too far from the one that collected the data.
    if (config_.target_kl && kl_sum / n > *config_.target_kl) {
      metrics.set("stopped_early_kl", 1.0);
      break;
    }
  }

  result.non_finite_minibatches_skipped += skipped_minibatches_;
  // Adam cannot make finite weights non-finite from a finite gradient unless something
  // overflows; a policy in that state must never be used or saved.
  const std::string bad = policy_.non_finite_weights();
  if (!bad.empty()) throw Error(where_() + ": after the update, " + bad);
}

void PPOLearner::save_state(const std::string& prefix, TensorDict& out) const {
  save_optimizer_state(*model_optimizer_, prefix + "model/", out);
  if (log_std_optimizer_) save_optimizer_state(*log_std_optimizer_, prefix + "log_std/", out);
}

void PPOLearner::restore_state(const std::string& prefix, const TensorDict& in) {
  restore_optimizer_state(*model_optimizer_, prefix + "model/", in);
  if (log_std_optimizer_) restore_optimizer_state(*log_std_optimizer_, prefix + "log_std/", in);
}

double annealed_learning_rate(const PPOConfig& config, int64_t iteration) {
  const int64_t planned = std::max<int64_t>(1, config.total_timesteps / config.batch_size());
  if (!config.anneal_lr) return config.learning_rate;
  const double frac =
      std::max(0.0, 1.0 - static_cast<double>(iteration - 1) / static_cast<double>(planned));
  return frac * config.learning_rate;
}

double explained_variance(std::span<const float> returns, std::span<const float> values,
                          std::span<const size_t> rows) {
  const size_t n = rows.empty() ? returns.size() : rows.size();
  auto row = [&](size_t i) { return rows.empty() ? i : rows[i]; };
  double mr = 0, md = 0;
  for (size_t i = 0; i < n; ++i) {
    mr += returns[row(i)];
    md += returns[row(i)] - values[row(i)];
  }
  mr /= static_cast<double>(n);
  md /= static_cast<double>(n);
  double vr = 0, vd = 0;
  for (size_t i = 0; i < n; ++i) {
    vr += (returns[row(i)] - mr) * (returns[row(i)] - mr);
    const double d = returns[row(i)] - values[row(i)] - md;
    vd += d * d;
  }
  return vr == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 - vd / vr;
}

}  // namespace cairn
