// Evaluating the policies of a multi-agent run together: every agent acts with the policy the
// mapping gives it, on a fresh environment. Used by MultiAgentPPO and by `cairn eval` on a
// multi-agent checkpoint, whose policies are restored alone (no algorithm is built).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/policy_mapping.h"
#include "cairn/policy/policy.h"

namespace cairn {

// The result of evaluating every policy of a multi-agent run.
struct MultiAgentEvaluation {
  EvaluationResult episodes;  // per episode: the sum of every agent's return
  // Per policy, in the order given: per episode, the mean return of the agents it acted for
  // (episodes in which it acted for none are left out; all NaN if it never acted).
  std::vector<std::pair<std::string, EvaluationResult>> policies;
};

// Runs `episodes` episodes of make_multi_agent(env_id, env_options), episode i reset with
// seed + i, each live agent acting with mapping.policy_for(agent) among `policies` (by id; not
// owned), deterministically or exploring (with a generator seeded from `seed`). Throws
// cairn::Error for episodes < 1, an agent whose policy is not among `policies` (naming both),
// a policy whose spaces do not fit its agent's, and naming the environment, episode, step and
// agent for a refused action or a non-finite reward.
MultiAgentEvaluation evaluate_multi_agent(
    const std::string& env_id, const nlohmann::json& env_options, const PolicyMapping& mapping,
    const std::vector<std::pair<std::string, Policy*>>& policies, int64_t episodes,
    bool deterministic, uint64_t seed);

}  // namespace cairn
