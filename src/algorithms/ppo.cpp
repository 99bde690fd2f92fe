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

}  // namespace

nn::ModelSpec ppo_model_spec(const PPOConfig& c, const Space& obs, const Space& act) {
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

PolicyOptions ppo_policy_options(const PPOConfig& config) {
  PolicyOptions options;
  options.normalize_observations = config.normalize_observations;
  options.observation_clip = static_cast<float>(config.observation_clip);
  options.log_std_init = config.log_std_init;
  return options;
}

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
  const nn::ModelSpec spec = ppo_model_spec(config_, obs_space, act_space);
  check_memory(spec);

  policy_ = std::make_unique<Policy>(obs_space, act_space, spec, ppo_policy_options(config_),
                                     Rng::stream(config_.seed, kModelInit).next_u64());
  if (policy_->is_recurrent()) {
    // Memory: rollouts carry each environment's state; the update trains on whole
    // sequences of max_seq_len steps (check_sequences: they tile the rollout).
    check_sequences(config_);
    memory_ = std::make_unique<RolloutMemory>(num_envs_, policy_->state_size(),
                                              static_cast<size_t>(config_.max_seq_len));
  }
  policy_->reserve(std::max(batch_ / static_cast<size_t>(config_.num_minibatches), num_envs_));

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
    reward_scaling_ =
        std::make_unique<RewardScaling>(num_envs_, config_.gamma, config_.reward_clip);
  }

  // The update draws minibatches of rows, or of whole sequences for a recurrent policy.
  all_units_.resize(memory_ ? rollout_->num_sequences() : batch_);
  std::iota(all_units_.begin(), all_units_.end(), size_t{0});
  learner_ = std::make_unique<PPOLearner>(*policy_, config_, rollout_->sizes(),
                                          static_cast<size_t>(config_.minibatch_size()), comm,
                                          [this] { return where(); });
  // A recurrent policy acts on every environment on every rank (its state is replicated).
  if (comm.size() > 1 && !memory_) {
    const size_t inputs_width = policy_->distribution().num_inputs();
    acting_rows_ = std::make_unique<distributed::RowGather>(comm, num_envs_, inputs_width + 1);
    acting_inputs_.resize(num_envs_ * inputs_width);
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
    if (reward_scaling_) {
      reward_scaling_->scale(envs_->rewards(), envs_->terminated(), envs_->truncated(), {},
                             rewards);
    }
    for (size_t e = 0; e < num_envs_; ++e) {
      if (!reward_scaling_) rewards[e] = static_cast<float>(envs_->rewards()[e]);
      terminated[e] = envs_->terminated()[e];
      truncated[e] = envs_->truncated()[e];
      // A finite double reward beyond float's range becomes infinite here.
      if (!std::isfinite(rewards[e]) && !envs_->skipped()[e]) {
        throw Error(
            where() + ", rollout step " + std::to_string(t) + ": environment " + std::to_string(e) +
            " (" + config_.env_id + ") returned reward " + std::to_string(envs_->rewards()[e]) +
            (reward_scaling_ ? ", which reward normalisation turned into " : ", which is ") +
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

// --- Update ------------------------------------------------------------------------

void PPO::update(TrainResult& result) {
  const double lr = annealed_learning_rate(config_, iteration());
  result.learning_rate = lr;
  // Every row, or every whole sequence of a recurrent policy.
  learner_->update(*rollout_, all_units_, lr, shuffle_rng_, result);
  result.metrics.set("explained_variance",
                     explained_variance(std::as_const(*rollout_).returns(), rollout_->values()));
}

TrainResult PPO::train() {
  TrainResult result = begin_iteration();
  collect_rollouts(result);
  update(result);
  return finish_iteration(result);
}

}  // namespace cairn
