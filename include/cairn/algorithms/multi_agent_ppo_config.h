// MultiAgentPPOConfig: every setting of a multi-agent PPO run: PPO's settings (ppo_config.h),
// the run's policies, each with its own overrides of them and whether it is trained, and the
// mapping from agents to policies (policy_mapping.h). All of it is data: a checkpoint's
// config rebuilds the run with no user code.
//
// JSON form: PPO's keys (env_id names a multi-agent environment, make_multi_agent; num_envs
// is the number of copies of it), and
//
//   "policies":       {"<policy id>": {"trained": true, "config": {<PPO keys>}}, ...}
//   "policy_mapping": {"<agent id or pattern>": "<policy id>", ...}
//
//   "league":         null, or {"learner": "<policy id>", "snapshot_every": 10, "size": 4}
//
// Self-play (the league): the learner, a trained policy, is copied every snapshot_every
// iterations into a frozen policy "<learner>_v<n>" (n from 1 to size; the oldest copy is
// replaced once all exist; "<learner>_v1" starts as the learner's initial weights). Agents the
// mapping gives to "league" (a reserved id while a league is configured) are played, each
// episode, by one of the frozen copies taken so far, drawn uniformly with the run's league
// generator; evaluation plays them with the newest copy. The copies are ordinary not-trained
// policies: policies/<learner>_v<n>/ in checkpoints, restorable alone.
//
// A policy's "config" overrides the run's PPO settings for that policy alone: its network
// (hidden_sizes, activation, model, log_std_init), its observation and reward normalisation
// (normalize_observations, observation_clip, normalize_rewards, reward_clip) and its update
// (learning_rate, anneal_lr, adam_eps, max_grad_norm, num_epochs, num_minibatches, clip_coef,
// clip_value_loss, value_clip_coef, ent_coef, vf_coef, normalize_advantages, target_kl, gamma,
// gae_lambda). The rollout's settings (env_id, env_options, num_envs, num_env_threads, num_steps,
// total_timesteps, seed, non_finite) are the run's. A policy with "trained": false acts but never
// learns (a fixed opponent: its weights are those it was created or restored with, or set through
// the algorithm).
//
// Not yet supported in multi-agent runs, and refused naming the key: memory (recurrent
// policies), non_finite "skip", num_env_threads above 1.
//
// from_json() refuses unknown keys and out-of-range values with a cairn::Error naming the key;
// to_json() writes every key (from_json(to_json(c)) == c).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/policy_mapping.h"
#include "cairn/algorithms/ppo_config.h"

namespace cairn {

// One policy of a multi-agent run.
struct MultiAgentPolicyConfig {
  bool trained = true;
  nlohmann::json overrides = nlohmann::json::object();  // PPO keys (see the file comment)
  bool operator==(const MultiAgentPolicyConfig&) const = default;
};

// Self-play (see the file comment).
struct MultiAgentLeagueConfig {
  std::string learner;          // a trained policy
  int64_t snapshot_every = 10;  // iterations between copies
  int64_t size = 4;             // frozen copies kept
  // "<learner>_v1" ... "<learner>_v<size>".
  std::vector<std::string> snapshot_ids() const;
  bool operator==(const MultiAgentLeagueConfig&) const = default;
};

// The mapping's id for agents the league plays.
inline constexpr const char* kLeaguePolicyId = "league";

struct MultiAgentPPOConfig {
  PPOConfig ppo;  // the run's settings (env_id: a multi-agent environment)
  std::map<std::string, MultiAgentPolicyConfig> policies;  // by id (folder names, sorted)
  nlohmann::json policy_mapping;                           // agent patterns -> policy ids
  std::optional<MultiAgentLeagueConfig> league;            // self-play

  // The defaults: MultiAgentCartPole-v0 with one policy, "default_policy", for every agent.
  MultiAgentPPOConfig();

  // Every policy id, the league's copies included, sorted (the order of checkpoints'
  // policy_ids).
  std::vector<std::string> policy_ids() const;
  // The run's PPO settings with the overrides of policy `id` applied (a league copy has its
  // learner's). Throws cairn::Error naming the policy and the key.
  PPOConfig policy_config(const std::string& id) const;
  // Whether policy `id` learns (league copies do not).
  bool is_trained(const std::string& id) const;
  // The mapping; with a league, "league" is one of its ids.
  PolicyMapping mapping() const;

  // Throws cairn::Error naming the first invalid key (including each policy's config).
  void validate() const;
  nlohmann::json to_json() const;
  // Starts from the defaults and applies the keys of `j` ("policies" and "policy_mapping",
  // when given, replace the defaults' whole).
  static MultiAgentPPOConfig from_json(const nlohmann::json& j);
  // Applies one override "key=value" (a PPO key, or "policies", "policy_mapping" or "league"
  // as JSON).
  void set(const std::string& assignment);

  bool operator==(const MultiAgentPPOConfig&) const = default;
};

}  // namespace cairn
