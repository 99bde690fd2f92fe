#include "cairn/algorithms/multi_agent_ppo.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "cairn/algorithms/gae.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/distributed/communicator.h"
#include "cairn/env/multi_agent_registry.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn {
namespace {

// Seeds of the run's random streams, all derived from config.seed; policy j's initial weights
// come from stream kFirstPolicyInit + j.
enum Stream : uint64_t { kActions = 1, kShuffle = 2, kLeague = 3, kFirstPolicyInit = 16 };

// A frozen copy of a policy: weights, log-std and observation statistics (same network).
void copy_weights(const Policy& from, Policy& to) {
  const std::span<const float> w = std::as_const(from.model()).flat_parameters();
  std::copy(w.begin(), w.end(), to.model().flat_parameters().begin());
  std::copy(from.log_std().begin(), from.log_std().end(), to.log_std().begin());
  if (const RunningMeanStd* stats = from.observation_statistics()) {
    to.observation_statistics()->set_state(stats->mean(), stats->var(), stats->count());
  }
}

}  // namespace

// Each league seat of copy k gets one of the frozen copies taken so far, for its episode.
void MultiAgentPPO::choose_opponents(size_t k) {
  const size_t num_agents = agent_member_.size();
  const size_t taken = std::min(static_cast<size_t>(league_taken_), league_copies_.size());
  for (size_t i = 0; i < num_agents; ++i) {
    if (agent_member_[i] != kLeagueSeat) continue;
    league_choice_[k * num_agents + i] = league_copies_[league_rng_.below(taken)];
  }
}

size_t MultiAgentPPO::member_of(size_t k, size_t agent) const {
  const size_t j = agent_member_[agent];
  return j != kLeagueSeat ? j : league_choice_[k * agent_member_.size() + agent];
}

MultiAgentPPO::MultiAgentPPO(const MultiAgentPPOConfig& config)
    : Algorithm("multi_agent_ppo", "multi-agent PPO", config.ppo),
      config_(config),
      action_rng_(Rng::stream(config.ppo.seed, kActions)),
      shuffle_rng_(Rng::stream(config.ppo.seed, kShuffle)),
      league_rng_(Rng::stream(config.ppo.seed, kLeague)) {
  require_one_process();
  config_.validate();
  mapping_ = config_.mapping();
  num_envs_ = static_cast<size_t>(config_.ppo.num_envs);
  num_steps_ = static_cast<size_t>(config_.ppo.num_steps);
  envs_ =
      std::make_unique<MultiAgentVectorEnv>(config_.ppo.env_id, num_envs_, config_.ppo.env_options);
  const MultiAgentEnv& spec = envs_->spec();
  const std::vector<std::string>& agents = spec.possible_agents();
  // Every agent's policy, named when the mapping gives none (or two).
  const std::vector<std::string> agent_policies = mapping_.resolve(agents);
  const std::vector<std::string> ids = config_.policy_ids();
  std::vector<std::string> league_ids;
  if (config_.league) league_ids = config_.league->snapshot_ids();
  auto is_league_copy = [&](const std::string& id) {
    return std::find(league_ids.begin(), league_ids.end(), id) != league_ids.end();
  };
  agent_member_.assign(agents.size(), kLeagueSeat);
  members_.resize(ids.size());
  for (size_t j = 0; j < ids.size(); ++j) {
    Member& m = members_[j];
    m.index = j;
    m.id = ids[j];
    m.config = config_.policy_config(m.id);
    m.trained = config_.is_trained(m.id);
    // The agents it acts for (a league copy: the league's seats) must agree on their spaces; a
    // policy no agent uses still gets the first agent's spaces, so that it restores and
    // exports like any other.
    const std::string& mapped = is_league_copy(m.id) ? std::string(kLeaguePolicyId) : m.id;
    size_t first = agents.size();
    for (size_t i = 0; i < agents.size(); ++i) {
      if (agent_policies[i] != mapped) continue;
      if (mapped == m.id) agent_member_[i] = j;
      if (first == agents.size()) {
        first = i;
      } else if (!(spec.observation_space(i) == spec.observation_space(first)) ||
                 !(spec.action_space(i) == spec.action_space(first))) {
        throw Error("multi-agent PPO: agents '" + agents[first] + "' and '" + agents[i] + "' of " +
                    config_.ppo.env_id + " share policy '" + mapped +
                    "' but their observation or action spaces differ");
      }
    }
    const size_t a = first == agents.size() ? 0 : first;
    const Space& obs_space = spec.observation_space(a);
    const Space& act_space = spec.action_space(a);
    const nn::ModelSpec model = ppo_model_spec(m.config, obs_space, act_space);
    m.policy =
        std::make_unique<Policy>(obs_space, act_space, model, ppo_policy_options(m.config),
                                 Rng::stream(config_.ppo.seed, kFirstPolicyInit + j).next_u64());
    if (first == agents.size()) continue;
    for (size_t k = 0; k < num_envs_; ++k) {
      for (size_t i = 0; i < agents.size(); ++i) {
        if (agent_policies[i] == mapped) m.columns.emplace_back(k, i);
      }
    }
  }
  if (config_.league) {
    // Self-play: the frozen copies play the league's seats; they must fit the learner.
    league_learner_ = &member(config_.league->learner);
    for (const std::string& id : league_ids) {
      Member& copy = member(id);
      if (!(copy.policy->observation_space() == league_learner_->policy->observation_space()) ||
          !(copy.policy->action_space() == league_learner_->policy->action_space())) {
        throw Error("multi-agent PPO: the league's agents and its learner '" + league_learner_->id +
                    "' have different observation or action spaces");
      }
      league_copies_.push_back(copy.index);
    }
    league_choice_.assign(num_envs_ * agents.size(), kLeagueSeat);
  }
  for (Member& m : members_) {
    Policy& pi = *m.policy;
    const size_t columns = std::max<size_t>(m.columns.size(), 1);
    m.obs_size = pi.observation_size();
    m.act_size = pi.action_space().size();
    const bool discrete = pi.distribution().is_discrete();
    const RolloutSizes sizes{
        num_steps_, columns, pi.feature_size(), pi.distribution().action_dim(), discrete, 0, 0};
    m.rollout = std::make_unique<RolloutBuffer>(sizes);
    m.acted.assign(num_steps_ * columns, 0);
    m.samples.reserve(num_steps_ * columns);
    m.live_obs.resize(columns * m.obs_size);
    m.last_obs.resize(columns * m.obs_size);
    m.int_actions.resize(discrete ? columns * m.act_size : 0);
    m.float_actions.resize(discrete ? 0 : columns * m.act_size);
    m.next_values.resize(columns);
    m.bootstrap_features.resize(columns * pi.feature_size());
    m.truncated.reserve(columns);
    m.live_columns.reserve(columns);
    if (m.trained && m.config.normalize_rewards) {
      m.reward_scaling =
          std::make_unique<RewardScaling>(columns, m.config.gamma, m.config.reward_clip);
      m.step_rewards.assign(columns, 0.0);
    }
    m.live_log_probs.resize(columns);
    m.live_indices.resize(discrete ? columns * sizes.action_dim : 0);
    m.live_raw.resize(discrete ? 0 : columns * sizes.action_dim);
    const size_t minibatch_rows =
        (num_steps_ * columns + static_cast<size_t>(m.config.num_minibatches) - 1) /
        static_cast<size_t>(m.config.num_minibatches);
    pi.reserve(std::max(minibatch_rows, columns));
    if (m.trained) {
      m.learner = std::make_unique<PPOLearner>(pi, m.config, sizes, minibatch_rows,
                                               distributed::world(), [this] { return where(); });
    }
  }
  actions_.reserve(num_envs_);
  for (size_t k = 0; k < num_envs_; ++k) actions_.push_back(envs_->env(k).make_actions());
  gae_rewards_.resize(num_steps_);
  gae_values_.resize(num_steps_);
  gae_final_.resize(num_steps_);
  gae_adv_.resize(num_steps_);
  gae_ret_.resize(num_steps_);
  gae_term_.resize(num_steps_);
  gae_trunc_.resize(num_steps_);
  gae_rows_.reserve(num_steps_);
  envs_->reset(config_.ppo.seed);
  if (config_.league) {
    // Every copy starts as the learner's initial weights; the first is the one taken.
    for (size_t j : league_copies_) copy_weights(*league_learner_->policy, *members_[j].policy);
    league_taken_ = 1;
    for (size_t k = 0; k < num_envs_; ++k) choose_opponents(k);
  }
  for (Member& m : members_) remember_observations(m);
}

MultiAgentPPO::~MultiAgentPPO() = default;

// Each column's latest observation, from the agents live now (the others keep theirs).
void MultiAgentPPO::remember_observations(Member& m) {
  for (size_t c = 0; c < m.columns.size(); ++c) {
    const auto [k, i] = m.columns[c];
    const MultiAgentStep& now = envs_->observations(k);
    if (now.has_observation[i]) {
      std::copy(now.observations[i].begin(), now.observations[i].end(),
                m.last_obs.begin() + static_cast<std::ptrdiff_t>(c * m.obs_size));
    }
  }
}

std::vector<std::string> MultiAgentPPO::policy_ids() const {
  std::vector<std::string> ids;
  ids.reserve(members_.size());
  for (const Member& m : members_) ids.push_back(m.id);
  return ids;
}

MultiAgentPPO::Member& MultiAgentPPO::member(const std::string& id) {
  for (Member& m : members_) {
    if (m.id == id) return m;
  }
  std::string known;
  for (const Member& m : members_) known += (known.empty() ? "" : ", ") + m.id;
  throw Error(label() + ": no policy '" + id + "' (its policies: " + known + ")");
}

Policy& MultiAgentPPO::named_policy(const std::string& id) {
  return *member(id).policy;
}

// --- Rollouts ----------------------------------------------------------------------

// The actions of member m's live agents at step t: a_t ~ pi(.|s_t), with log pi(a_t|s_t) and
// V(s_t) kept for the update. Only the live agents are computed, as one batch (an agent that
// has ended waits for its copy's reset and costs nothing); their rows of the rollout are
// filled. The others' rows are not samples and nothing reads them.
void MultiAgentPPO::act(Member& m, size_t t) {
  Policy& pi = *m.policy;
  RolloutBuffer& buf = *m.rollout;
  const size_t columns = m.columns.size();
  std::span<uint8_t> acted(m.acted.data() + t * columns, columns);
  m.live_columns.clear();
  for (size_t c = 0; c < columns; ++c) {
    const auto [k, i] = m.columns[c];
    const MultiAgentStep& now = envs_->observations(k);
    acted[c] = now.has_observation[i] && member_of(k, i) == m.index;
    if (!acted[c]) continue;
    const size_t live = m.live_columns.size();
    std::copy(now.observations[i].begin(), now.observations[i].end(),
              m.live_obs.begin() + static_cast<std::ptrdiff_t>(live * m.obs_size));
    std::copy(now.observations[i].begin(), now.observations[i].end(),
              m.last_obs.begin() + static_cast<std::ptrdiff_t>(c * m.obs_size));
    m.live_columns.push_back(c);
  }
  const size_t live = m.live_columns.size();
  const std::span<float> feats = buf.features(t), values = buf.values(t), logp = buf.log_probs(t);
  const std::span<int64_t> indices = buf.action_indices(t);
  const std::span<float> raw = buf.raw_actions(t);
  if (live == 0) return;
  // Observation statistics see each live observation before it is used (a fixed policy's
  // statistics are part of it and do not move).
  const std::span<const float> obs = std::span<const float>(m.live_obs).first(live * m.obs_size);
  if (m.trained) pi.update_observation_statistics(obs);
  const size_t fs = pi.feature_size(), dim = buf.sizes().action_dim;
  const std::span<float> live_feats = std::span<float>(m.bootstrap_features).first(live * fs);
  pi.preprocess(obs, live_feats);
  pi.forward(live_feats);
  const std::span<const float> inputs = pi.distribution_inputs().flat();
  const ActionDistribution<float>& dist = pi.distribution();
  const std::span<float> live_logp = std::span<float>(m.live_log_probs).first(live);
  const std::span<int64_t> live_indices =
      std::span<int64_t>(m.live_indices).first(dist.is_discrete() ? live * dim : 0);
  const std::span<float> live_raw =
      std::span<float>(m.live_raw).first(dist.is_discrete() ? 0 : live * dim);
  const std::span<int64_t> int_actions =
      std::span<int64_t>(m.int_actions).first(dist.is_discrete() ? live * m.act_size : 0);
  const std::span<float> float_actions =
      std::span<float>(m.float_actions).first(dist.is_discrete() ? 0 : live * m.act_size);
  if (dist.is_discrete()) {
    dist.sample(inputs, {}, action_rng_, live_indices, {});
    dist.log_prob(inputs, {}, live_indices, {}, live_logp);
  } else {
    dist.sample(inputs, pi.log_std(), action_rng_, {}, live_raw);
    dist.log_prob(inputs, pi.log_std(), {}, live_raw, live_logp);
  }
  pi.to_env_actions(live_indices, live_raw, int_actions, float_actions);
  // Each live agent's row of the rollout, and its action for the step.
  for (size_t j = 0; j < live; ++j) {
    const size_t c = m.live_columns[j];
    const auto [k, i] = m.columns[c];
    std::copy_n(live_feats.begin() + static_cast<std::ptrdiff_t>(j * fs), fs,
                feats.begin() + static_cast<std::ptrdiff_t>(c * fs));
    values[c] = pi.value_outputs().data[j];
    logp[c] = live_logp[j];
    if (dist.is_discrete()) {
      std::copy_n(live_indices.begin() + static_cast<std::ptrdiff_t>(j * dim), dim,
                  indices.begin() + static_cast<std::ptrdiff_t>(c * dim));
      actions_[k].set(i, int_actions.subspan(j * m.act_size, m.act_size));
    } else {
      std::copy_n(live_raw.begin() + static_cast<std::ptrdiff_t>(j * dim), dim,
                  raw.begin() + static_cast<std::ptrdiff_t>(c * dim));
      actions_[k].set(i, std::span<const float>(float_actions).subspan(j * m.act_size, m.act_size));
    }
  }
}

// What step t returned to member m's agents: rewards and how their parts ended, and
// V(final observation) of the parts a time limit cut.
void MultiAgentPPO::record_step(Member& m, size_t t, TrainResult& result) {
  (void)result;
  Policy& pi = *m.policy;
  RolloutBuffer& buf = *m.rollout;
  const size_t columns = m.columns.size();
  const std::span<const uint8_t> acted(m.acted.data() + t * columns, columns);
  const std::span<float> rewards = buf.rewards(t), final_values = buf.final_values(t);
  const std::span<uint8_t> terminated = buf.terminated(t), truncated = buf.truncated(t);
  m.truncated.clear();
  for (size_t c = 0; c < columns; ++c) {
    rewards[c] = 0;
    terminated[c] = truncated[c] = 0;
    final_values[c] = 0;
    if (!acted[c]) continue;
    const auto [k, i] = m.columns[c];
    const MultiAgentStep& r = envs_->step_result(k);
    rewards[c] = static_cast<float>(r.rewards[i]);
    terminated[c] = r.terminated[i];
    truncated[c] = r.truncated[i];
    if (truncated[c] && !terminated[c]) m.truncated.push_back(c);
    if (m.reward_scaling) m.step_rewards[c] = r.rewards[i];
  }
  // Reward normalisation: each agent's column is a stream of its own (its discounted return).
  if (m.reward_scaling)
    m.reward_scaling->scale(m.step_rewards, terminated, truncated, acted, rewards);
  for (size_t c = 0; c < columns; ++c) {
    if (acted[c] && !std::isfinite(rewards[c])) {
      const auto [k, i] = m.columns[c];
      const double raw = envs_->step_result(k).rewards[i];
      throw Error(where() + ", rollout step " + std::to_string(t) + ": copy " + std::to_string(k) +
                  " of " + config_.ppo.env_id + " gave agent '" +
                  envs_->spec().possible_agents()[i] + "' reward " + std::to_string(raw) +
                  (m.reward_scaling ? ", which reward normalisation turned into " : ", which is ") +
                  nn::non_finite_name(rewards[c]) + " in float32");
    }
  }
  // A time limit is not a terminal state: bootstrap from V(final observation).
  if (m.truncated.empty()) return;
  const size_t fs = pi.feature_size(), n = m.truncated.size();
  for (size_t j = 0; j < n; ++j) {
    const auto [k, i] = m.columns[m.truncated[j]];
    pi.preprocess(envs_->step_result(k).observations[i],
                  std::span<float>(m.bootstrap_features).subspan(j * fs, fs));
  }
  pi.forward(std::span<const float>(m.bootstrap_features).first(n * fs));
  for (size_t j = 0; j < n; ++j) final_values[m.truncated[j]] = pi.value_outputs().data[j];
}

// GAE(lambda) along each column's own samples (an agent's steps in order; its parts end with
// terminated or truncated before any gap, so the recursion never crosses one), then the rows
// that are samples.
void MultiAgentPPO::advantages(Member& m) {
  Policy& pi = *m.policy;
  RolloutBuffer& buf = *m.rollout;
  const size_t columns = m.columns.size();
  // V(s_T) of every column from its latest observation (used where the agent is still live).
  const size_t fs = pi.feature_size();
  remember_observations(m);
  pi.preprocess(m.last_obs, std::span<float>(m.bootstrap_features).first(columns * fs));
  pi.forward(std::span<const float>(m.bootstrap_features).first(columns * fs));
  for (size_t c = 0; c < columns; ++c) m.next_values[c] = pi.value_outputs().data[c];

  const std::span<const float> rewards = std::as_const(buf).rewards();
  const std::span<const float> values = buf.values();
  const std::span<const float> finals = std::as_const(buf).final_values();
  const std::span<const uint8_t> term = std::as_const(buf).terminated();
  const std::span<const uint8_t> trunc = std::as_const(buf).truncated();
  const std::span<float> adv = buf.advantages(), ret = buf.returns();
  for (size_t c = 0; c < columns; ++c) {
    gae_rows_.clear();
    for (size_t t = 0; t < num_steps_; ++t) {
      if (m.acted[t * columns + c]) gae_rows_.push_back(t * columns + c);
    }
    const size_t n = gae_rows_.size();
    if (n == 0) continue;
    for (size_t j = 0; j < n; ++j) {
      const size_t row = gae_rows_[j];
      gae_rewards_[j] = rewards[row];
      gae_values_[j] = values[row];
      gae_final_[j] = finals[row];
      gae_term_[j] = term[row];
      gae_trunc_[j] = trunc[row];
    }
    compute_gae(
        {n, 1, std::span<const float>(gae_rewards_).first(n),
         std::span<const float>(gae_values_).first(n), std::span<const uint8_t>(gae_term_).first(n),
         std::span<const uint8_t>(gae_trunc_).first(n), std::span<const float>(gae_final_).first(n),
         std::span<const float>(m.next_values).subspan(c, 1), static_cast<float>(m.config.gamma),
         static_cast<float>(m.config.gae_lambda)},
        std::span<float>(gae_adv_).first(n), std::span<float>(gae_ret_).first(n));
    for (size_t j = 0; j < n; ++j) {
      adv[gae_rows_[j]] = gae_adv_[j];
      ret[gae_rows_[j]] = gae_ret_[j];
    }
  }
  m.samples.clear();
  for (size_t row = 0; row < num_steps_ * columns; ++row) {
    if (m.acted[row]) m.samples.push_back(row);
  }
  for (size_t row : m.samples) {
    if (!std::isfinite(adv[row]) || !std::isfinite(ret[row])) {
      throw Error(where() + ": the GAE advantages or returns of policy '" + m.id +
                  "' are not finite");
    }
  }
}

// --- Update ------------------------------------------------------------------------

void MultiAgentPPO::update(Member& m, TrainResult& result) {
  const double lr = annealed_learning_rate(m.config, iteration());
  if (result.learning_rate == 0) result.learning_rate = lr;
  m.update_result.non_finite_minibatches_skipped = 0;
  m.learner->update(*m.rollout, m.samples, lr, shuffle_rng_, m.update_result);
  const RolloutBuffer& buf = *m.rollout;
  m.update_result.metrics.set("explained_variance",
                              m.samples.empty()
                                  ? std::nan("")
                                  : explained_variance(buf.returns(), buf.values(), m.samples));
  for (const auto& [name, value] : m.update_result.metrics.items()) {
    result.metrics.set(m.id + "/" + name, value);
  }
  result.metrics.set(m.id + "/learning_rate", lr);
}

TrainResult MultiAgentPPO::train() {
  TrainResult result = begin_iteration();
  for (const Member& m : members_) {
    if (const std::string bad = m.policy->non_finite_weights(); !bad.empty()) {
      throw Error(where() + ": the weights of policy '" + m.id + "' are not finite (" + bad + ")");
    }
  }
  const std::vector<std::string>& agents = envs_->spec().possible_agents();
  for (size_t t = 0; t < num_steps_; ++t) {
    for (MultiAgentActions& a : actions_) a.clear();
    for (Member& m : members_) {
      if (!m.columns.empty()) act(m, t);
    }
    try {
      envs_->step(actions_);
    } catch (const Error& e) {
      throw Error(where() + ", rollout step " + std::to_string(t) + ": " + e.what());
    }
    for (Member& m : members_) {
      if (!m.columns.empty()) record_step(m, t, result);
    }
    for (const MultiAgentEpisodeRecord& ep : envs_->finished_episodes()) {
      double total = 0;
      for (double r : ep.agent_returns) total += r;
      episode_finished(result, total, ep.length);
      // Each policy's return: the mean over the agents it acted for in this episode.
      for (size_t j = 0; j < members_.size(); ++j) {
        double sum = 0, length = 0;
        size_t n = 0;
        for (size_t i = 0; i < agents.size(); ++i) {
          if (member_of(ep.env_index, i) != j || ep.agent_lengths[i] == 0) continue;
          sum += ep.agent_returns[i];
          length += static_cast<double>(ep.agent_lengths[i]);
          ++n;
        }
        if (n > 0) {
          members_[j].returns.add(
              sum / static_cast<double>(n),
              static_cast<int64_t>(std::llround(length / static_cast<double>(n))));
        }
      }
    }
    // A copy that started a new episode draws its league opponents for it.
    if (config_.league) {
      for (size_t k = 0; k < num_envs_; ++k) {
        if (envs_->episode_ended(k)) choose_opponents(k);
      }
    }
  }
  count_steps(static_cast<int64_t>(num_envs_ * num_steps_));
  for (Member& m : members_) {
    if (m.trained && !m.columns.empty()) advantages(m);
  }
  for (Member& m : members_) {
    result.metrics.set(m.id + "/episode_return_mean", m.returns.mean_return());
    if (m.trained && !m.columns.empty()) update(m, result);
    result.non_finite_minibatches_skipped += m.update_result.non_finite_minibatches_skipped;
  }
  // Self-play: every snapshot_every iterations the learner is frozen into the next copy (the
  // oldest once all exist).
  if (config_.league) {
    if (iteration() % config_.league->snapshot_every == 0) {
      const size_t slot = static_cast<size_t>(league_taken_) % league_copies_.size();
      copy_weights(*league_learner_->policy, *members_[league_copies_[slot]].policy);
      ++league_taken_;
    }
    result.metrics.set("league/snapshots_taken", static_cast<double>(league_taken_));
  }
  return finish_iteration(result);
}

// --- Evaluation ----------------------------------------------------------------------

MultiAgentEvaluation MultiAgentPPO::evaluate_policies(int64_t episodes, bool deterministic,
                                                      uint64_t seed) {
  std::vector<std::pair<std::string, Policy*>> policies;
  for (Member& m : members_) policies.emplace_back(m.id, m.policy.get());
  // The league's agents play the newest frozen copy.
  if (config_.league) {
    const size_t newest = static_cast<size_t>(league_taken_ - 1) % league_copies_.size();
    policies.emplace_back(kLeaguePolicyId, members_[league_copies_[newest]].policy.get());
  }
  return evaluate_multi_agent(config_.ppo.env_id, config_.ppo.env_options, mapping_, policies,
                              episodes, deterministic, seed);
}

EvaluationResult MultiAgentPPO::evaluate(int64_t episodes, bool deterministic, uint64_t seed) {
  return evaluate_policies(episodes, deterministic, seed).episodes;
}

}  // namespace cairn
