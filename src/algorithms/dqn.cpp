#include "cairn/algorithms/dqn.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cairn/algorithms/dqn_update.h"
#include "cairn/error.h"
#include "cairn/nn/dueling.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy_head.h"

namespace cairn {
namespace {

// Seeds of the independent random streams of a run, all derived from
// config.seed.
enum Stream : uint64_t { kModelInit = 0, kActions = 1, kSample = 2 };

const Space& checked_action_space(const VectorEnv& envs, const DQNConfig& c) {
  const Space& act = envs.single_action_space();
  if (act.kind() != SpaceKind::discrete) {
    throw Error("DQN needs a Discrete action space; " + c.env_id + " has " + act.to_string() +
                " (use SAC or TD3 for Box actions)");
  }
  return act;
}

nn::ModelSpec q_spec_for(const DQNConfig& c, const Space& obs, const Space& act) {
  const auto features = static_cast<nn::Index>(obs.flat_dim());
  const auto actions = static_cast<nn::Index>(act.nvec()[0]);
  const std::vector<nn::Index> hidden(c.hidden_sizes.begin(), c.hidden_sizes.end());
  const nn::Activation activation =
      nn::Activation::from_name(c.activation, "DQN config 'activation'");
  if (c.dueling) return nn::dueling_q_network_spec(features, actions, hidden, activation);
  return nn::q_network_spec(features, actions, hidden, activation);
}

double mean_or_nan(double sum, int64_t n) {
  return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

DQN::DQN(const DQNConfig& config)
    : Algorithm("dqn", "DQN", config),
      config_(config),
      lr_schedule_(nn::LrSchedule::constant(config.learning_rate)),
      action_rng_(Rng::stream(config.seed, kActions)),
      sample_rng_(Rng::stream(config.seed, kSample)) {
  config_.validate();
  num_envs_ = static_cast<size_t>(config_.num_envs);
  envs_ = std::make_unique<VectorEnv>(config_.env_id, num_envs_, config_.env_options,
                                      static_cast<size_t>(config_.num_env_threads));
  envs_->set_non_finite_handling(config_.non_finite);
  const Space& obs_space = envs_->single_observation_space();
  const Space& act_space = checked_action_space(*envs_, config_);
  action_start_ = act_space.start()[0];
  const nn::ModelSpec spec = q_spec_for(config_, obs_space, act_space);

  PolicyOptions options;
  options.head = PolicyHead::kGreedyQ;
  options.normalize_observations = config_.normalize_observations;
  options.observation_clip = static_cast<float>(config_.observation_clip);
  options.exploration_epsilon = config_.exploration_initial_eps;
  policy_ = std::make_unique<Policy>(obs_space, act_space, spec, options,
                                     Rng::stream(config_.seed, kModelInit).next_u64());
  const size_t batch = static_cast<size_t>(config_.batch_size);
  policy_->reserve(std::max(batch, num_envs_));
  // The target network starts as a copy of the online one (SB3, CleanRL).
  target_ = std::make_unique<nn::Model<float>>(policy_->model());
  target_->reserve(static_cast<nn::Index>(batch));

  nn::AdamOptions adam;
  adam.lr = config_.learning_rate;
  adam.eps = config_.adam_eps;
  optimizer_ = std::make_unique<nn::Adam<float>>(policy_->model().parameters(), adam);
  if (config_.anneal_lr) {
    lr_schedule_ = nn::LrSchedule::linear(config_.learning_rate, 0.0, config_.total_timesteps);
  }

  ReplayBufferOptions replay;
  replay.capacity = static_cast<size_t>(config_.buffer_size);
  replay.n_step = static_cast<size_t>(config_.n_step);
  replay.gamma = config_.gamma;
  replay.max_bytes = nn::memory_budget_bytes();
  try {
    replay_ = std::make_unique<ReplayBuffer>(obs_space, act_space, num_envs_, replay);
  } catch (const Error& e) {
    throw Error(std::string("DQN config: 'buffer_size' (") + std::to_string(config_.buffer_size) +
                "): " + e.what());
  }

  obs_size_ = envs_->observation_size();
  feature_size_ = policy_->feature_size();
  observations_.resize(num_envs_ * obs_size_);
  env_actions_.resize(num_envs_);
  batch_ = replay_->make_batch(batch);
  features_.resize(batch * feature_size_);
  next_features_.resize(batch * feature_size_);
  targets_.resize(batch);
  action_indices_.resize(batch);

  envs_->reset(config_.seed);
}

DQN::~DQN() = default;

const std::vector<std::string>& DQN::metric_names() {
  static const std::vector<std::string> names = {"loss",    "q_mean",  "grad_norm",
                                                 "epsilon", "updates", "replay_size"};
  return names;
}

void DQN::restore_policy(std::unique_ptr<Policy> policy, const std::string& source) {
  Algorithm::restore_policy(std::move(policy), source);
  policy_->reserve(std::max(static_cast<size_t>(config_.batch_size), num_envs_));
}

std::vector<float> DQN::example_observations() const {
  const std::span<const float> obs = envs_->observations();
  return {obs.begin(), obs.end()};
}

// One vector step: act, step, store, and count the finished episodes.
void DQN::act(TrainResult& result) {
  Policy& pi = *policy_;
  const std::span<const float> obs = envs_->observations();
  std::copy(obs.begin(), obs.end(), observations_.begin());
  pi.update_observation_statistics(observations_);
  if (timesteps() < config_.learning_starts) {
    // Warm-up: uniform random actions fill the buffer (SB3's learning_starts).
    for (size_t e = 0; e < num_envs_; ++e) {
      envs_->single_action_space().sample(action_rng_,
                                          std::span<int64_t>(env_actions_).subspan(e, 1));
    }
  } else {
    // epsilon-greedy: a uniform random action with probability epsilon, else
    // argmax Q.
    pi.set_exploration_epsilon(config_.epsilon(timesteps()));
    pi.compute_actions(observations_, true, action_rng_, env_actions_, {});
  }
  try {
    envs_->step(std::span<const int64_t>(env_actions_));
  } catch (const Error& e) {
    throw Error(where() + ", vector step " + std::to_string(vector_steps_) + ": " + e.what() +
                (config_.non_finite == NonFiniteHandling::kError
                     ? " (set the DQN config's \"non_finite\" to \"skip\" to "
                       "drop such data)"
                     : ""));
  }
  for (size_t e = 0; e < num_envs_; ++e) {
    if (envs_->skipped()[e]) ++result.non_finite_transitions_skipped;
  }
  // The buffer bootstraps truncated episodes from final_observations() and
  // never terminated ones.
  replay_->add({observations_,
                env_actions_,
                {},
                envs_->rewards(),
                envs_->observations(),
                envs_->final_observations(),
                envs_->terminated(),
                envs_->truncated()});
  for (const EpisodeRecord& ep : envs_->finished_episodes()) {
    episode_finished(result, ep.episode_return, ep.length);
  }
  count_steps(static_cast<int64_t>(num_envs_));
  ++vector_steps_;
}

// One update phase: updates_per_phase() gradient steps on uniform minibatches.
void DQN::update(TrainResult& result) {
  Policy& pi = *policy_;
  const size_t b = batch_.size();
  const DQNUpdateSettings settings{config_.double_q, config_.max_grad_norm};
  for (int64_t k = 0; k < config_.updates_per_phase(); ++k) {
    replay_->sample(sample_rng_, batch_);
    pi.preprocess(batch_.observations, features_);
    pi.preprocess(batch_.next_observations, next_features_);
    for (size_t i = 0; i < b; ++i) action_indices_[i] = batch_.int_actions[i] - action_start_;
    optimizer_->set_learning_rate(lr_schedule_(timesteps()));
    const DQNBatch batch{
        nn::MatrixSpan<const float>(features_.data(), static_cast<nn::Index>(b),
                                    static_cast<nn::Index>(feature_size_)),
        nn::MatrixSpan<const float>(next_features_.data(), static_cast<nn::Index>(b),
                                    static_cast<nn::Index>(feature_size_)),
        action_indices_, batch_.rewards, batch_.discounts};
    const DQNUpdateResult r =
        dqn_update(batch, pi.model(), *target_, *optimizer_, settings, targets_);
    if (!r.applied) {
      if (config_.non_finite == NonFiniteHandling::kSkip) {
        ++result.non_finite_minibatches_skipped;
        continue;
      }
      throw Error(where() + ": the DQN loss (" + std::to_string(r.terms.loss) +
                  ") or gradient norm (" + std::to_string(r.grad_norm) +
                  ") is not finite (set the DQN config's \"non_finite\" to "
                  "\"skip\" to skip "
                  "such updates)");
    }
    ++updates_;
    ++updates_this_iter_;
    loss_sum_ += r.terms.loss;
    q_sum_ += r.terms.q_mean;
    norm_sum_ += r.grad_norm;
  }
}

void DQN::check_weights() const {
  if (const std::string bad = policy_->non_finite_weights(); !bad.empty()) {
    throw Error(where() + ": the Q-network's weights are not finite (" + bad + ")");
  }
}

TrainResult DQN::train() {
  TrainResult result = begin_iteration();
  loss_sum_ = q_sum_ = norm_sum_ = 0;
  updates_this_iter_ = 0;
  const int64_t target_every =
      std::max<int64_t>(config_.target_update_interval / config_.num_envs, 1);
  for (int64_t s = 0; s < config_.vector_steps_per_iteration(); ++s) {
    act(result);
    if (vector_steps_ % config_.train_freq == 0 && timesteps() > config_.learning_starts &&
        replay_->size() > 0) {
      update(result);
    }
    if (vector_steps_ % target_every == 0) {
      update_target_network(policy_->model().flat_parameters(), target_->flat_parameters(),
                            config_.tau);
    }
  }
  check_weights();
  result.learning_rate = optimizer_->learning_rate();
  // The order of metric_names().
  result.metrics.set("loss", mean_or_nan(loss_sum_, updates_this_iter_));
  result.metrics.set("q_mean", mean_or_nan(q_sum_, updates_this_iter_));
  result.metrics.set("grad_norm", mean_or_nan(norm_sum_, updates_this_iter_));
  result.metrics.set("epsilon", exploration_epsilon());
  result.metrics.set("updates", static_cast<double>(updates_));
  result.metrics.set("replay_size", static_cast<double>(replay_->size()));
  return finish_iteration(result);
}

}  // namespace cairn
