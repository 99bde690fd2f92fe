// How a restored policy acts, as `cairn inspect` and `cairn eval` describe it: its head
// (policy_head.h), not the action space's distribution, since only PPO's stochastic head
// acts through that distribution; SAC's squashed Gaussian, TD3's deterministic actor and
// DQN's greedy Q-values each act, and explore, in their own way.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cairn/policy/policy.h"

namespace cairn::cli {

// {"head": to_string(policy.head()),
//  "distribution": the ActionDistribution kind (stochastic head only),
//  "deterministic_action": what the deterministic action is,
//  "exploration": {"kind": "sample" | "squashed_gaussian_sample" | "gaussian_noise" |
//                  "epsilon_greedy", "noise"? (fraction of the half range), "epsilon"?,
//                  "text": one human-readable line}}.
// The exploration parameters are those saved with the policy (DQN's epsilon as it was
// when the checkpoint was written). Does not throw.
nlohmann::json describe_policy_head(const Policy& policy);

// One line for text output, e.g. "head squashed_gaussian; explores by sampling ...".
std::string policy_head_line(const nlohmann::json& description);

}  // namespace cairn::cli
