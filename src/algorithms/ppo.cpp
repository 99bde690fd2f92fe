#include "cairn/algorithms/ppo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "cairn/algorithms/gae.h"
#include "cairn/algorithms/ppo_loss.h"
#include "cairn/distributed/communicator.h"
#include "cairn/distributed/row_gather.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/nn/activation.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/gemm.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {
namespace {

using Clock = std::chrono::steady_clock;

// Seeds of the independent random streams of a run, all derived from config.seed.
enum Stream : uint64_t { kModelInit = 0, kActions = 1, kShuffle = 2 };

nn::ModelSpec model_spec_for(const PPOConfig& c, const Space& obs, const Space& act) {
  nn::ModelSpec spec;
  if (c.model.is_object()) {
    spec = nn::ModelSpec::from_json(c.model);
  } else {
    nn::ActorCriticOptions options;
    options.hidden.assign(c.hidden_sizes.begin(), c.hidden_sizes.end());
    options.activation = nn::Activation::from_name(c.activation, "PPO config 'activation'");
    const size_t dist_inputs = ActionDistribution<float>::for_action_space(act).num_inputs();
    spec = nn::ppo_actor_critic(static_cast<nn::Index>(obs.flat_dim()),
                                static_cast<nn::Index>(dist_inputs), options);
  }
  if (const std::optional<nn::MemoryOptions> memory = c.memory_options()) {
    spec = nn::with_memory(spec, *memory);
  }
  return spec;
}

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

PPO::PPO(const PPOConfig& config)
    : Algorithm("ppo", "PPO", config),
      config_(config),
      action_rng_(Rng::stream(config.seed, kActions)),
      shuffle_rng_(Rng::stream(config.seed, kShuffle)) {
  config_.validate();
  num_envs_ = static_cast<size_t>(config_.num_envs);
  num_steps_ = static_cast<size_t>(config_.num_steps);
  batch_ = num_envs_ * num_steps_;
  // Distributed (docs/distributed.md): every rank runs this same PPO on the same data;
  // only the environments are shared out, each rank stepping its slice and receiving the
  // others' rows after every step. Every computation on the gathered data is the one a
  // single process makes, in the same order, so the weights are the same bits on any
  // number of ranks.
  distributed::Communicator& comm = distributed::world();
  if (comm.size() > 1) {
    distributed::check_same_on_every_rank(comm, "PPO", config_.to_json().dump());
    envs_ = std::make_unique<VectorEnv>(config_.env_id, num_envs_, config_.env_options,
                                        static_cast<size_t>(config_.num_env_threads), comm);
  } else {
    envs_ = std::make_unique<VectorEnv>(config_.env_id, num_envs_, config_.env_options,
                                        static_cast<size_t>(config_.num_env_threads));
  }
  envs_->set_non_finite_handling(config_.non_finite);
  const Space& obs_space = envs_->single_observation_space();
  const Space& act_space = envs_->single_action_space();
  const nn::ModelSpec spec = model_spec_for(config_, obs_space, act_space);
  check_memory(spec);

  PolicyOptions policy_options;
  policy_options.normalize_observations = config_.normalize_observations;
  policy_options.observation_clip = static_cast<float>(config_.observation_clip);
  policy_options.log_std_init = config_.log_std_init;
  policy_ = std::make_unique<Policy>(obs_space, act_space, spec, policy_options,
                                     Rng::stream(config_.seed, kModelInit).next_u64());
  if (policy_->is_recurrent()) {
    // Memory: rollouts carry each environment's state; the update trains on whole
    // sequences of max_seq_len steps (check_sequences: they tile the rollout).
    check_sequences(config_);
    memory_ = std::make_unique<RolloutMemory>(num_envs_, policy_->state_size(),
                                              static_cast<size_t>(config_.max_seq_len));
  }
  policy_->reserve(std::max(batch_ / static_cast<size_t>(config_.num_minibatches), num_envs_));

  nn::AdamOptions adam;
  adam.lr = config_.learning_rate;
  adam.eps = config_.adam_eps;
  model_optimizer_ = std::make_unique<nn::Adam<float>>(policy_->model().parameters(), adam);
  if (!policy_->log_std().empty()) {
    log_std_layout_.push_back({"log_std",
                               {static_cast<int64_t>(policy_->log_std().size())},
                               0,
                               policy_->log_std().size()});
    log_std_optimizer_ = std::make_unique<nn::Adam<float>>(log_std_layout_, adam);
    log_std_grad_.assign(policy_->log_std().size(), 0.0f);
  }

  feature_size_ = policy_->feature_size();
  action_dim_ = policy_->distribution().action_dim();
  const bool discrete = policy_->distribution().is_discrete();
  rollout_ = std::make_unique<RolloutBuffer>(
      RolloutSizes{num_steps_, num_envs_, feature_size_, action_dim_, discrete,
                   memory_ ? memory_->state_size() : 0, memory_ ? memory_->sequence_length() : 0});
  env_int_actions_.resize(act_space.is_integer() ? num_envs_ * act_space.size() : 0);
  env_float_actions_.resize(act_space.is_integer() ? 0 : num_envs_ * act_space.size());
  next_values_.resize(num_envs_);
  final_features_.resize(num_envs_ * feature_size_);
  truncated_envs_.reserve(num_envs_);
  if (config_.normalize_rewards) {
    return_stats_ = std::make_unique<RunningMeanStd>(1, static_cast<float>(config_.reward_clip));
    discounted_returns_.assign(num_envs_, 0.0);
    return_scratch_.resize(num_envs_);
  }

  const size_t mb = static_cast<size_t>(config_.minibatch_size());
  // The update shuffles rows, or whole sequences for a recurrent policy.
  order_.resize(memory_ ? rollout_->num_sequences() : batch_);
  std::iota(order_.begin(), order_.end(), size_t{0});
  minibatch_ = std::make_unique<RolloutMinibatch>(rollout_->sizes(), mb);
  mb_log_probs_.resize(mb);
  mb_entropy_.resize(mb);
  mb_d_log_prob_.resize(mb);
  mb_d_entropy_.resize(mb);
  // A recurrent policy acts on every environment on every rank (its state is replicated).
  if (comm.size() > 1 && !memory_) {
    const size_t inputs_width = policy_->distribution().num_inputs();
    acting_rows_ = std::make_unique<distributed::RowGather>(comm, num_envs_, inputs_width + 1);
    acting_inputs_.resize(num_envs_ * inputs_width);
  }
  if (comm.size() > 1 && gradients_are_block_sums(spec)) {
    const size_t width = policy_->model().num_parameters() + log_std_grad_.size();
    block_gradients_ = std::make_unique<distributed::BlockGradients>(comm, width, 3, mb);
    mb_values_.resize(mb);
    mb_d_values_.resize(mb);
    all_rows_.resize(3 * mb);
    gradient_sum_.resize(width);
  }

  envs_->reset(config_.seed);
}

PPO::~PPO() = default;

// The run's memory, estimated from the sizes alone before anything that size is
// allocated (in double, which cannot overflow for any int64 sizes): the model with its
// gradient and two Adam moments, the activations of a minibatch, and the rollout buffers.
void PPO::check_memory(const nn::ModelSpec& spec) const {
  const std::string model_key = config_.model.is_object() ? "model" : "hidden_sizes";
  const size_t params = nn::parameter_count(spec);
  if (params > static_cast<size_t>(kMaxModelParameters)) {
    throw Error("PPO config: '" + model_key + "' makes a model of " +
                (params == SIZE_MAX ? std::string("more than 2^64") : std::to_string(params)) +
                " parameters for " + config_.env_id + ", more than the limit of " +
                std::to_string(kMaxModelParameters));
  }
  const double gib = static_cast<double>(1ull << 30);
  const double batch =
      static_cast<double>(config_.num_envs) * static_cast<double>(config_.num_steps);
  const double rows = std::max(batch / static_cast<double>(config_.num_minibatches),
                               static_cast<double>(num_envs_));
  const double obs = static_cast<double>(envs_->observation_size());
  const double features = static_cast<double>(spec.input_size);
  const double actions = static_cast<double>(envs_->action_size());
  const double model_bytes = 16.0 * static_cast<double>(params);
  const double activation_bytes = 12.0 * rows * static_cast<double>(nn::activation_count(spec));
  // Per transition: features, actions, log-prob, value, reward, final value, advantage,
  // return, flags and the shuffle order; minibatch copies of the same.
  const double rollout_bytes = batch * (8.0 * (features + actions) + 64.0) +
                               static_cast<double>(num_envs_) * (8.0 * obs + 64.0);
  const double total = model_bytes + activation_bytes + rollout_bytes;
  const double budget = static_cast<double>(nn::memory_budget_bytes());
  if (total > budget) {
    const std::string largest =
        activation_bytes >= rollout_bytes && activation_bytes >= model_bytes
            ? "'" + model_key + "' x minibatch size (num_envs * num_steps / num_minibatches)"
        : rollout_bytes >= model_bytes ? "num_envs * num_steps"
                                       : "'" + model_key + "'";
    throw Error("PPO config: the run would need about " + std::to_string(total / gib) +
                " GiB (model " + std::to_string(model_bytes / gib) + ", activations " +
                std::to_string(activation_bytes / gib) + ", rollout buffers " +
                std::to_string(rollout_bytes / gib) + "), more than the memory limit of " +
                std::to_string(budget / gib) + " GiB; reduce " + largest);
  }
}

// --- Rollouts ----------------------------------------------------------------------

// The policy's forward pass on every environment's features: V(s) into `values`, and the
// action distribution's inputs returned. Distributed, each rank runs its own environments
// and every rank receives all rows (acting_rows_), so sampling every action with the one
// action stream stays the same on every rank.
std::span<const float> PPO::act(std::span<const float> features, std::span<float> values) {
  Policy& pi = *policy_;
  if (memory_) {
    // One step of every environment's sequence: the state the rollout carries in, and out.
    pi.forward(features, memory_->step_input());
    memory_->take_state(pi.model());
    for (size_t e = 0; e < num_envs_; ++e) values[e] = pi.value_outputs().data[e];
    return pi.distribution_inputs().flat();
  }
  if (!acting_rows_) {
    pi.forward(features);
    for (size_t e = 0; e < num_envs_; ++e) values[e] = pi.value_outputs().data[e];
    return pi.distribution_inputs().flat();
  }
  distributed::RowGather& rows = *acting_rows_;
  const distributed::Share own = rows.own();
  const size_t width = rows.width(), inputs_width = width - 1;
  pi.forward(features.subspan(own.begin * feature_size_, (own.end - own.begin) * feature_size_));
  const std::span<const float> own_inputs = pi.distribution_inputs().flat();
  const std::span<float> mine = rows.own_rows();
  for (size_t i = 0; i < own.end - own.begin; ++i) {
    std::copy(own_inputs.begin() + static_cast<std::ptrdiff_t>(i * inputs_width),
              own_inputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * inputs_width),
              mine.begin() + static_cast<std::ptrdiff_t>(i * width));
    mine[i * width + inputs_width] = pi.value_outputs().data[i];
  }
  const std::span<const float> all = rows.gather();
  for (size_t e = 0; e < num_envs_; ++e) {
    std::copy(all.begin() + static_cast<std::ptrdiff_t>(e * width),
              all.begin() + static_cast<std::ptrdiff_t>(e * width + inputs_width),
              acting_inputs_.begin() + static_cast<std::ptrdiff_t>(e * inputs_width));
    values[e] = all[e * width + inputs_width];
  }
  return acting_inputs_;
}

void PPO::collect_rollouts(TrainResult& result) {
  Policy& pi = *policy_;
  const ActionDistribution<float>& dist = pi.distribution();
  const size_t obs_size = pi.observation_size();
  for (size_t t = 0; t < num_steps_; ++t) {
    RolloutBuffer& buf = *rollout_;
    const std::span<float> values = buf.values(t), rewards = buf.rewards(t);
    const std::span<uint8_t> terminated = buf.terminated(t), truncated = buf.truncated(t);
    // Observation preprocessing: the statistics see each observation before it is used,
    // as Gymnasium's NormalizeObservation does.
    pi.update_observation_statistics(envs_->observations());
    // Where a sequence starts, the state it starts from; every row's episode-start flag.
    if (memory_) memory_->record(buf, t);
    const std::span<float> feats = buf.features(t);
    pi.preprocess(envs_->observations(), feats);
    const std::span<const float> inputs = act(feats, values);

    // a_t ~ pi(.|s_t), and log pi(a_t|s_t) for the probability ratio later.
    const std::span<float> logp = buf.log_probs(t);
    if (dist.is_discrete()) {
      const std::span<int64_t> idx = buf.action_indices(t);
      dist.sample(inputs, {}, action_rng_, idx, {});
      dist.log_prob(inputs, {}, idx, {}, logp);
      pi.to_env_actions(idx, {}, env_int_actions_, {});
      step_envs(std::span<const int64_t>(env_int_actions_), t);
    } else {
      const std::span<float> raw = buf.raw_actions(t);
      dist.sample(inputs, pi.log_std(), action_rng_, {}, raw);
      dist.log_prob(inputs, pi.log_std(), {}, raw, logp);
      pi.to_env_actions({}, raw, {}, env_float_actions_);
      step_envs(std::span<const float>(env_float_actions_), t);
    }

    truncated_envs_.clear();
    if (return_stats_) scale_rewards(rewards);
    for (size_t e = 0; e < num_envs_; ++e) {
      if (!return_stats_) rewards[e] = static_cast<float>(envs_->rewards()[e]);
      terminated[e] = envs_->terminated()[e];
      truncated[e] = envs_->truncated()[e];
      // A finite double reward beyond float's range becomes infinite here.
      if (!std::isfinite(rewards[e]) && !envs_->skipped()[e]) {
        throw Error(where() + ", rollout step " + std::to_string(t) + ": environment " +
                    std::to_string(e) + " (" + config_.env_id + ") returned reward " +
                    std::to_string(envs_->rewards()[e]) +
                    (return_stats_ ? ", which reward normalisation turned into " : ", which is ") +
                    nn::non_finite_name(rewards[e]) + " in float32");
      }
      if (envs_->skipped()[e]) {
        // The dropped transition teaches nothing: reward (1 - gamma) V(s_t) and a
        // bootstrap from V(s_t) make its TD error zero, and the cut stops GAE from
        // carrying anything across it.
        rewards[e] = static_cast<float>((1.0 - config_.gamma) * values[e]);
        terminated[e] = 0;
        truncated[e] = 1;
        buf.final_values(t)[e] = values[e];
        ++result.non_finite_transitions_skipped;
        continue;
      }
      if (truncated[e] && !terminated[e]) truncated_envs_.push_back(e);
    }
    // The next observation of an environment whose episode ended starts a new episode.
    if (memory_) memory_->episodes_ended(terminated, truncated);
    // A time limit is not a terminal state: bootstrap from V(final observation).
    if (!truncated_envs_.empty()) {
      const size_t k = truncated_envs_.size();
      const std::span<const float> final_obs = envs_->final_observations();
      for (size_t j = 0; j < k; ++j) {
        const size_t e = truncated_envs_[j];
        pi.preprocess(final_obs.subspan(e * obs_size, obs_size),
                      std::span<float>(final_features_).subspan(j * feature_size_, feature_size_));
      }
      const std::span<const float> final_features =
          std::span<const float>(final_features_).first(k * feature_size_);
      if (memory_) {
        // V(final observation) with the memory of the episode that saw it.
        pi.forward(final_features, memory_->bootstrap_input(truncated_envs_));
      } else {
        pi.forward(final_features);
      }
      for (size_t j = 0; j < k; ++j)
        buf.final_values(t)[truncated_envs_[j]] = pi.value_outputs().data[j];
    }

    for (const EpisodeRecord& ep : envs_->finished_episodes())
      episode_finished(result, ep.episode_return, ep.length);
  }
  count_steps(static_cast<int64_t>(batch_));

  // V(s_T) for the last observations, then GAE(lambda) advantages and returns.
  if (memory_) {
    const std::span<float> feats(final_features_.data(), num_envs_ * feature_size_);
    pi.preprocess(envs_->observations(), feats);
    pi.forward(feats, memory_->step_input());
    for (size_t e = 0; e < num_envs_; ++e) next_values_[e] = pi.value_outputs().data[e];
  } else {
    pi.values(envs_->observations(), next_values_);
  }
  compute_gae(
      {num_steps_, num_envs_, rollout_->rewards(), rollout_->values(), rollout_->terminated(),
       rollout_->truncated(), rollout_->final_values(), next_values_,
       static_cast<float>(config_.gamma), static_cast<float>(config_.gae_lambda)},
      rollout_->advantages(), rollout_->returns());
  // Finite inputs can still overflow (values of extreme weights); nothing can be skipped here.
  if (!nn::all_finite(std::as_const(*rollout_).advantages()) ||
      !nn::all_finite(std::as_const(*rollout_).returns())) {
    throw Error(where() + ": the GAE advantages or returns are not finite (values " +
                (nn::all_finite(rollout_->values()) ? "finite" : "not finite") + ", rewards " +
                (nn::all_finite(rollout_->rewards()) ? "finite" : "not finite") + ")");
  }
}

template <typename Action>
void PPO::step_envs(std::span<const Action> actions, size_t t) {
  try {
    envs_->step(actions);
  } catch (const Error& e) {
    throw Error(where() + ", rollout step " + std::to_string(t) + ": " + e.what() +
                (config_.non_finite == NonFiniteHandling::kError
                     ? " (set the PPO config's \"non_finite\" to \"skip\" to drop such data)"
                     : ""));
  }
}

// Reward scaling: r / std(discounted return), clipped, with the return's statistics
// updated first (Stable-Baselines3's VecNormalize).
void PPO::scale_rewards(std::span<float> rewards) {
  for (size_t e = 0; e < num_envs_; ++e) {
    discounted_returns_[e] = discounted_returns_[e] * config_.gamma + envs_->rewards()[e];
    return_scratch_[e] = static_cast<float>(discounted_returns_[e]);
  }
  return_stats_->update(return_scratch_);
  const float std = return_stats_->std_f32()[0];
  const float clip = static_cast<float>(config_.reward_clip);
  for (size_t e = 0; e < num_envs_; ++e) {
    rewards[e] = std::clamp(static_cast<float>(envs_->rewards()[e]) / std, -clip, clip);
    if (envs_->terminated()[e] || envs_->truncated()[e]) discounted_returns_[e] = 0.0;
  }
}

// --- Update ------------------------------------------------------------------------

// The minibatch's loss and gradient, computed here whole.
PPOLossTerms PPO::whole_gradient(size_t m, double clip_coef) {
  Policy& pi = *policy_;
  const ActionDistribution<float>& dist = pi.distribution();
  const RolloutMinibatch& mb = *minibatch_;
  const std::span<const float> features =
      std::span<const float>(mb.features).first(m * feature_size_);
  if (memory_) {
    // Whole sequences, time-major, from the states the rollout started them with
    // (backpropagation through time within each sequence).
    pi.forward(features, {static_cast<nn::Index>(memory_->sequence_length()),
                          nn::MatrixSpan<const float>(
                              mb.initial_states.data(), static_cast<nn::Index>(mb.sequences),
                              static_cast<nn::Index>(memory_->state_size())),
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
                      {clip_coef, config_.clip_value_loss, config_.value_clip_coef, config_.vf_coef,
                       config_.ent_coef},
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
PPOLossTerms PPO::split_gradient(size_t m, double clip_coef) {
  Policy& pi = *policy_;
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
                    {clip_coef, config_.clip_value_loss, config_.value_clip_coef, config_.vf_coef,
                     config_.ent_coef, m},
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
      {clip_coef, config_.clip_value_loss, config_.value_clip_coef, config_.vf_coef,
       config_.ent_coef},
      {std::span<float>(mb_d_log_prob_).first(m), std::span<float>(mb_d_values_).first(m),
       std::span<float>(mb_d_entropy_).first(m)});
}

// One gradient step on the minibatch `indices`. Returns its approximate KL.
double PPO::minibatch_step(std::span<const size_t> indices, double clip_coef, LossSums& sums) {
  RolloutMinibatch& mb = *minibatch_;
  if (memory_) {
    rollout_->gather_sequences(indices, mb);  // `indices` are sequences
  } else {
    rollout_->gather(indices, mb);
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
  const PPOLossTerms terms =
      block_gradients_ ? split_gradient(m, clip_coef) : whole_gradient(m, clip_coef);
  Policy& pi = *policy_;
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
    throw Error(where() + ", epoch " + std::to_string(epoch_ + 1) +
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

void PPO::update(TrainResult& result) {
  // Linear learning-rate decay over the planned number of iterations.
  const int64_t planned = std::max<int64_t>(1, config_.total_timesteps / config_.batch_size());
  double lr = config_.learning_rate;
  if (config_.anneal_lr) {
    const double frac =
        std::max(0.0, 1.0 - static_cast<double>(iteration() - 1) / static_cast<double>(planned));
    lr = frac * config_.learning_rate;
  }
  model_optimizer_->set_learning_rate(lr);
  if (log_std_optimizer_) log_std_optimizer_->set_learning_rate(lr);
  result.learning_rate = lr;

  // Rows per minibatch, or whole sequences per minibatch for a recurrent policy.
  const size_t units = order_.size();
  const size_t mb = units / static_cast<size_t>(config_.num_minibatches);
  // Every metric, in a fixed order, before any is measured.
  Metrics& metrics = result.metrics;
  for (const char* name : {"policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction",
                           "explained_variance", "stopped_early_kl"}) {
    metrics.set(name, 0.0);
  }
  LossSums epoch_sums;
  // The permutation starts from the identity every iteration, so that it depends on the
  // shuffle generator alone (and a resumed run draws the same minibatches).
  std::iota(order_.begin(), order_.end(), size_t{0});
  skipped_minibatches_ = 0;
  for (int64_t epoch = 0; epoch < config_.num_epochs; ++epoch) {
    epoch_ = epoch;
    // Fisher-Yates shuffle with the run's own generator.
    for (size_t i = units - 1; i > 0; --i) std::swap(order_[i], order_[shuffle_rng_.below(i + 1)]);
    epoch_sums = LossSums();
    double kl_sum = 0;
    for (size_t start = 0; start < units; start += mb) {
      kl_sum += minibatch_step(std::span<const size_t>(order_).subspan(start, mb),
                               config_.clip_coef, epoch_sums);
    }
    const double n = static_cast<double>(config_.num_minibatches);
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

  result.non_finite_minibatches_skipped = skipped_minibatches_;
  // Adam cannot make finite weights non-finite from a finite gradient unless something
  // overflows; a policy in that state must never be used or saved.
  const std::string bad = policy_->non_finite_weights();
  if (!bad.empty()) throw Error(where() + ": after the update, " + bad);

  // Explained variance of the value function on this batch.
  double mr = 0, md = 0;
  const std::span<const float> returns = std::as_const(*rollout_).returns();
  const std::span<const float> values = rollout_->values();
  for (size_t i = 0; i < batch_; ++i) {
    mr += returns[i];
    md += returns[i] - values[i];
  }
  mr /= static_cast<double>(batch_);
  md /= static_cast<double>(batch_);
  double vr = 0, vd = 0;
  for (size_t i = 0; i < batch_; ++i) {
    vr += (returns[i] - mr) * (returns[i] - mr);
    const double d = returns[i] - values[i] - md;
    vd += d * d;
  }
  metrics.set("explained_variance",
              vr == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 - vd / vr);
}

TrainResult PPO::train() {
  TrainResult result = begin_iteration();
  collect_rollouts(result);
  update(result);
  return finish_iteration(result);
}

}  // namespace cairn
