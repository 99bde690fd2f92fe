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

const DQNConfig& validated(const DQNConfig& c) {
  c.validate();
  return c;
}

void check_discrete(const Space& act, const DQNConfig& c) {
  if (act.kind() != SpaceKind::discrete) {
    throw Error("DQN needs a Discrete action space; " + c.env_id + " has " + act.to_string() +
                " (use SAC or TD3 for Box actions)");
  }
}

nn::ModelSpec q_spec_for(const DQNConfig& c, const Space& obs, const Space& act) {
  check_discrete(act, c);
  const auto features = static_cast<nn::Index>(obs.flat_dim());
  const auto actions = static_cast<nn::Index>(act.nvec()[0]);
  const std::vector<nn::Index> hidden(c.hidden_sizes.begin(), c.hidden_sizes.end());
  const nn::Activation activation =
      nn::Activation::from_name(c.activation, "DQN config 'activation'");
  if (c.dueling) return nn::dueling_q_network_spec(features, actions, hidden, activation);
  return nn::q_network_spec(features, actions, hidden, activation);
}

// Stable-Baselines3's DQN schedule and DQN's checkpoint names (dqn.h).
OffPolicyAlgorithm::LoopOptions dqn_loop(const DQNConfig& c) {
  OffPolicyAlgorithm::LoopOptions loop;
  loop.learn_after_learning_starts = true;
  loop.gradient_steps = c.updates_per_phase();
  loop.statistics_before_acting = true;
  loop.update_rng_name = "rng/sample";
  loop.counters = OffPolicyCounters::kDQN;
  return loop;
}

PolicyOptions dqn_policy_options(const DQNConfig& c) {
  PolicyOptions options;
  options.head = PolicyHead::kGreedyQ;
  options.exploration_epsilon = c.exploration_initial_eps;
  return options;
}

}  // namespace

DQN::DQN(const DQNConfig& config)
    : OffPolicyAlgorithm(
          "dqn", "DQN", validated(config), dqn_loop(config), dqn_policy_options(config),
          [&config](const Space& obs, const Space& act) { return q_spec_for(config, obs, act); },
          {config.learning_rate}, {"loss", "q_mean", "grad_norm"}),
      config_(config) {
  action_start_ = environments().single_action_space().start()[0];
  const size_t batch = static_cast<size_t>(config_.batch_size);
  // The target network starts as a copy of the online one (SB3, CleanRL).
  target_ = std::make_unique<nn::Model<float>>(policy_->model());
  target_->reserve(static_cast<nn::Index>(batch));
  optimizer_ =
      std::make_unique<nn::Adam<float>>(policy_->model().parameters(), adam(config_.learning_rate));
  target_every_ = std::max<int64_t>(config_.target_update_interval / config_.num_envs, 1);
  targets_.resize(batch);
  action_indices_.resize(batch);
}

DQN::~DQN() = default;

const std::vector<std::string>& DQN::metric_names() {
  static const std::vector<std::string> names = {"loss",    "q_mean",  "grad_norm",
                                                 "epsilon", "updates", "replay_size"};
  return names;
}

void DQN::explore(std::span<const float> observations, Rng& action_rng,
                  std::span<int64_t> int_actions, std::span<float> float_actions) {
  // epsilon-greedy: a uniform random action with probability epsilon, else argmax Q.
  policy_->set_exploration_epsilon(config_.epsilon(timesteps()));
  OffPolicyAlgorithm::explore(observations, action_rng, int_actions, float_actions);
}

void DQN::set_learning_rates(std::span<const double> rates) {
  optimizer_->set_learning_rate(rates[0]);
}

// One update (dqn_update.h) on a uniform minibatch.
bool DQN::gradient_step(const OffPolicyBatch& batch) {
  const size_t b = batch.replay.size();
  for (size_t i = 0; i < b; ++i) action_indices_[i] = batch.replay.int_actions[i] - action_start_;
  const DQNBatch q_batch{batch.features, batch.next_features, action_indices_, batch.replay.rewards,
                         batch.replay.discounts};
  const DQNUpdateResult r = dqn_update(q_batch, policy_->model(), *target_, *optimizer_,
                                       {config_.double_q, config_.max_grad_norm}, targets_);
  if (!r.applied) return false;
  accumulate("loss", r.terms.loss);
  accumulate("q_mean", r.terms.q_mean);
  accumulate("grad_norm", r.grad_norm);
  return true;
}

void DQN::vector_step_done() {
  if (vector_steps_done() % target_every_ == 0) {
    update_target_network(policy_->model().flat_parameters(), target_->flat_parameters(),
                          config_.tau);
  }
}

void DQN::add_iteration_metrics(Metrics& metrics) const {
  metrics.set("epsilon", exploration_epsilon());
  metrics.set("updates", static_cast<double>(gradient_steps_applied()));
}

}  // namespace cairn
