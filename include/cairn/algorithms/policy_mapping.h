// PolicyMapping: which policy acts for which agent of a multi-agent environment, as data.
//
// The mapping is a JSON object from agent patterns to policy ids, part of an algorithm's
// config and so of every checkpoint, so that restoring a run needs no user code:
//
//   {"car_*": "shared", "player_0": "learner", "player_1": "opponent"}
//
// A pattern is an agent id, or an id with '*' (any run of characters, also none) and '?' (one
// character). An agent's policy is that of its exact key when there is one; otherwise that of
// the one pattern that matches it. JSON objects have no order, so none is implied: two
// patterns that match the same agent and name different policies are an error naming both,
// and so is an agent that no key matches. Several agents may map to one policy (parameter
// sharing).
//
// Immutable after construction; thread-safe to read. Methods allocate only as noted.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn {

class PolicyMapping {
 public:
  PolicyMapping() = default;

  // Reads a mapping. `policy_ids` are the run's policies: every id the mapping names must be
  // one of them. `where` names the mapping in errors ("PPO config 'policy_mapping'"). Throws
  // cairn::Error naming the key for: not an object, no keys, an empty pattern, a value that
  // is not a string, a policy id that is not a valid policy folder name, or one that is not
  // among `policy_ids` (listing them).
  static PolicyMapping from_json(const nlohmann::json& mapping,
                                 const std::vector<std::string>& policy_ids,
                                 const std::string& where);
  // The mapping as read (every key), for configs and checkpoints.
  nlohmann::json to_json() const;

  // The policy of `agent`. Throws cairn::Error naming the agent and listing the keys when no
  // key matches it, or naming two patterns that match it with different policies.
  const std::string& policy_for(std::string_view agent) const;
  // policy_for() of each agent, in order (e.g. an environment's possible agents). Allocates.
  std::vector<std::string> resolve(const std::vector<std::string>& agents) const;

  // Whether `pattern` ('*' and '?' wildcards) matches the whole of `agent`.
  static bool matches(std::string_view pattern, std::string_view agent);

  bool operator==(const PolicyMapping&) const = default;

 private:
  std::vector<std::pair<std::string, std::string>> rules_;  // (pattern, policy id), by pattern
};

}  // namespace cairn
