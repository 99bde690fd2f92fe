#include "cairn/algorithms/policy_mapping.h"

#include <algorithm>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"

namespace cairn {
namespace {

bool has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

}  // namespace

bool PolicyMapping::matches(std::string_view pattern, std::string_view agent) {
  // Iterative glob matching with backtracking to the last '*': linear in practice.
  size_t p = 0, a = 0, star = std::string_view::npos, resume = 0;
  while (a < agent.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == agent[a])) {
      ++p;
      ++a;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

PolicyMapping PolicyMapping::from_json(const nlohmann::json& mapping,
                                       const std::vector<std::string>& policy_ids,
                                       const std::string& where) {
  if (!mapping.is_object() || mapping.empty()) {
    throw Error(where +
                " must be an object from agent ids or patterns ('*', '?') to policy "
                "ids, such as {\"agent_*\": \"shared\"}");
  }
  PolicyMapping out;
  for (const auto& [pattern, policy] : mapping.items()) {
    if (pattern.empty()) throw Error(where + ": an agent pattern is empty");
    if (!policy.is_string()) {
      throw Error(where + " '" + pattern + "': the policy id must be a string, got " +
                  policy.dump());
    }
    const std::string id = policy.get<std::string>();
    try {
      validate_policy_id(id);
    } catch (const Error& e) {
      throw Error(where + " '" + pattern + "': " + e.what());
    }
    if (std::find(policy_ids.begin(), policy_ids.end(), id) == policy_ids.end()) {
      throw Error(where + " '" + pattern + "': unknown policy id '" + id + "' (the policies are " +
                  joined(policy_ids) + ")");
    }
    out.rules_.emplace_back(pattern, id);
  }
  std::sort(out.rules_.begin(), out.rules_.end());
  return out;
}

nlohmann::json PolicyMapping::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [pattern, policy] : rules_) j[pattern] = policy;
  return j;
}

const std::string& PolicyMapping::policy_for(std::string_view agent) const {
  for (const auto& [pattern, policy] : rules_) {
    if (pattern == agent) return policy;
  }
  const std::pair<std::string, std::string>* found = nullptr;
  for (const auto& rule : rules_) {
    if (!has_wildcard(rule.first) || !matches(rule.first, agent)) continue;
    if (found != nullptr && found->second != rule.second) {
      throw Error("agent '" + std::string(agent) + "' matches both '" + found->first +
                  "' (policy '" + found->second + "') and '" + rule.first + "' (policy '" +
                  rule.second + "'): give it its own key, or make the patterns disjoint");
    }
    found = &rule;
  }
  if (found == nullptr) {
    std::vector<std::string> keys;
    for (const auto& rule : rules_) keys.push_back("'" + rule.first + "'");
    throw Error("agent '" + std::string(agent) +
                "' has no policy: no key of the policy mapping "
                "matches it (the keys are " +
                joined(keys) + ")");
  }
  return found->second;
}

std::vector<std::string> PolicyMapping::resolve(const std::vector<std::string>& agents) const {
  std::vector<std::string> out;
  out.reserve(agents.size());
  for (const std::string& agent : agents) out.push_back(policy_for(agent));
  return out;
}

}  // namespace cairn
