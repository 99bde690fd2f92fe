// MultiAgentPPO: PPO training several policies at once on a multi-agent environment
// (multi_agent_env.h), as RLlib's multi-agent PPO does: every agent acts with the policy the
// config's mapping gives it (policy_mapping.h); each trained policy is updated by its own
// PPOLearner on the transitions of its own agents only, with its own settings
// (multi_agent_ppo_config.h); several agents may share one policy (their transitions are
// pooled); policies marked not trained act and never change.
//
// One train() call is one iteration: num_envs copies of the environment (MultiAgentVectorEnv)
// step num_steps times, then every trained policy is updated. Per policy, the rollout holds
// one column per (copy, agent) the policy acts for; a row is a sample only if that agent
// acted in that step (agents finish early and join late). GAE runs along each agent's own
// steps: an agent's part ends with terminated or truncated before it leaves, so the recursion
// never crosses a gap; a truncated part bootstraps from V(its final observation). With
// normalize_rewards (run-wide or a policy's own), a trained policy scales its agents' rewards
// by the standard deviation of their discounted returns (reward_scaling.h), each agent column
// a stream of its own.
//
// Counters: timesteps are the copies' steps (num_envs * num_steps per iteration, RLlib's
// env steps); an episode is a copy's episode and its return is the sum of its agents' returns.
// The metrics are per policy, named "<policy id>/<name>": episode_return_mean (the mean
// return of the policy's agents over its last 100 episodes) and, for trained policies,
// PPO's metrics (ppo.h).
//
// Self-play (config.league, multi_agent_ppo_config.h): the league's frozen copies of the
// learner are members that never train; the agents mapped to "league" are played by the copy
// drawn for their copy's episode (when the episode starts, uniformly among the copies taken);
// every snapshot_every iterations, after the update, the learner's weights are copied into the
// next copy. Metric "league/snapshots_taken".
//
// Checkpoints: policies/<id>/ for every policy, each a standalone policy folder that restores
// alone; the state holds the generators, each trained policy's optimiser ("optimizer/<id>/"),
// each policy's episode statistics, each reward-normalising policy's statistics
// ("reward_normalizer/<id>/") and, when the environment can save it, the environments'
// state ("multi_agent_envs/") and the league's state ("league/", "rng/league"): a resumed run
// then equals an uninterrupted one bit for bit.
//
// Not distributed (one process; refused otherwise). Thread safety: not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/multi_agent_evaluation.h"
#include "cairn/algorithms/multi_agent_ppo_config.h"
#include "cairn/algorithms/policy_mapping.h"
#include "cairn/algorithms/ppo_learner.h"
#include "cairn/algorithms/reward_scaling.h"
#include "cairn/env/multi_agent_vector_env.h"
#include "cairn/policy/policy.h"
#include "cairn/storage/rollout_buffer.h"

namespace cairn {

// Multi-agent PPO in the registry: "multi_agent_ppo", its config and checkpoint checks.
AlgorithmInfo multi_agent_ppo_algorithm_info();

class MultiAgentPPO : public Algorithm {
 public:
  // Validates the config, builds the environments (make_multi_agent(config.ppo.env_id)), one
  // policy per id and a learner per trained policy. Throws cairn::Error for an invalid config,
  // an unknown environment, an agent the mapping gives no policy (naming it), agents of one
  // policy whose spaces differ (naming both), or when run on several ranks.
  explicit MultiAgentPPO(const MultiAgentPPOConfig& config);
  ~MultiAgentPPO();

  // One iteration: rollouts of every copy, then every trained policy's update.
  TrainResult train() override;

  const MultiAgentPPOConfig& config() const { return config_; }
  nlohmann::json config_json() const override { return config_.to_json(); }
  const PolicyMapping& mapping() const { return mapping_; }
  // The first policy (policy_ids()[0]).
  Policy& policy() override { return *members_.front().policy; }
  const Policy& policy() const override { return *members_.front().policy; }
  std::vector<std::string> policy_ids() const override;
  Policy& named_policy(const std::string& id) override;
  using Algorithm::named_policy;
  // The policy of `agent` (by the mapping). Throws cairn::Error naming the agent.
  const std::string& policy_of(const std::string& agent) const {
    return mapping_.policy_for(agent);
  }

  // Episodes of every policy on a fresh copy of the environment (evaluate_multi_agent);
  // evaluate() returns the episodes' sums over agents, evaluate_policies() each policy's too.
  EvaluationResult evaluate(int64_t episodes, bool deterministic = true,
                            uint64_t seed = 1000000) override;
  MultiAgentEvaluation evaluate_policies(int64_t episodes, bool deterministic = true,
                                         uint64_t seed = 1000000);

  bool environment_state_saved() const override { return envs_->can_save_state(); }
  void restore_state(const TensorDict& in) override;
  void restore_policy(std::unique_ptr<Policy> policy, const std::string& source) override;
  void restore_named_policy(const std::string& id, std::unique_ptr<Policy> policy,
                            const std::string& source) override;

 protected:
  void save_state(TensorDict& out) const override;
  std::vector<float> example_observations() const override;
  std::vector<float> policy_example_observations(const std::string& id) const override;

 private:
  // One policy of the run: what it acts for, its rollout and, when trained, its learner.
  struct Member {
    size_t index = 0;  // in members_
    std::string id;
    PPOConfig config;
    bool trained = true;
    std::unique_ptr<Policy> policy;
    std::vector<std::pair<size_t, size_t>> columns;  // (copy, agent) per rollout column
    size_t obs_size = 0, act_size = 0;
    std::unique_ptr<RolloutBuffer> rollout;  // num_steps x columns
    std::vector<uint8_t> acted;              // [num_steps x columns]: the row is a sample
    std::unique_ptr<PPOLearner> learner;     // trained policies
    std::vector<size_t> samples;             // rows that are samples, ascending
    std::vector<float> live_obs;             // observations of live columns, contiguous
    std::vector<float> last_obs;             // every column's latest observation (examples)
    std::vector<int64_t> int_actions;
    std::vector<float> float_actions;
    std::vector<float> next_values;
    std::vector<float> bootstrap_features;  // [columns x features]: also the live agents' batch
    // The live agents of a step, as one batch: their columns, log-probabilities and actions.
    std::vector<size_t> live_columns;
    std::vector<float> live_log_probs;
    std::vector<int64_t> live_indices;  // discrete
    std::vector<float> live_raw;        // Box
    std::vector<size_t> truncated;      // columns to bootstrap this step
    // normalize_rewards (trained policies): one stream per column, and the step's raw
    // rewards per column (the rollout keeps them as float).
    std::unique_ptr<RewardScaling> reward_scaling;
    std::vector<double> step_rewards;
    EpisodeStatistics returns;  // mean return of its agents per episode
    TrainResult update_result;  // the learner's metrics, before they are prefixed
  };
  Member& member(const std::string& id);
  // The member playing `agent` of copy k (a league seat: the copy drawn for its episode).
  size_t member_of(size_t k, size_t agent) const;
  void choose_opponents(size_t k);
  void remember_observations(Member& m);
  void act(Member& m, size_t t);
  void record_step(Member& m, size_t t, TrainResult& result);
  void advantages(Member& m);
  void update(Member& m, TrainResult& result);

  MultiAgentPPOConfig config_;
  PolicyMapping mapping_;
  std::unique_ptr<MultiAgentVectorEnv> envs_;
  std::vector<Member> members_;
  // [agent] -> index in members_, or kLeagueSeat for agents the league plays.
  static constexpr size_t kLeagueSeat = SIZE_MAX;
  std::vector<size_t> agent_member_;
  // Self-play (config.league): the learner, its frozen copies (member indices, v1 first), how
  // many copies were taken, and the copy playing each league seat [copy x agent].
  Member* league_learner_ = nullptr;
  std::vector<size_t> league_copies_;
  int64_t league_taken_ = 0;
  std::vector<size_t> league_choice_;
  std::vector<MultiAgentActions> actions_;
  Rng action_rng_, shuffle_rng_, league_rng_;
  size_t num_envs_ = 0, num_steps_ = 0;
  // GAE along one column's samples.
  std::vector<float> gae_rewards_, gae_values_, gae_final_, gae_adv_, gae_ret_;
  std::vector<uint8_t> gae_term_, gae_trunc_;
  std::vector<size_t> gae_rows_;
};

}  // namespace cairn
