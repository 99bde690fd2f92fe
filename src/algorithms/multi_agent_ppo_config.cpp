#include "cairn/algorithms/multi_agent_ppo_config.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr const char* kWho = "multi-agent PPO config";

// The PPO keys one policy may set for itself (its network, normalisation and update).
constexpr std::array<std::string_view, 23> kPolicyKeys = {"hidden_sizes",
                                                          "activation",
                                                          "model",
                                                          "log_std_init",
                                                          "normalize_observations",
                                                          "observation_clip",
                                                          "normalize_rewards",
                                                          "reward_clip",
                                                          "learning_rate",
                                                          "anneal_lr",
                                                          "adam_eps",
                                                          "max_grad_norm",
                                                          "num_epochs",
                                                          "num_minibatches",
                                                          "clip_coef",
                                                          "clip_value_loss",
                                                          "value_clip_coef",
                                                          "ent_coef",
                                                          "vf_coef",
                                                          "normalize_advantages",
                                                          "target_kl",
                                                          "gamma",
                                                          "gae_lambda"};

bool is_policy_key(const std::string& key) {
  return std::find(kPolicyKeys.begin(), kPolicyKeys.end(), key) != kPolicyKeys.end();
}

std::string policy_keys_list() {
  std::string out;
  for (std::string_view k : kPolicyKeys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

std::map<std::string, MultiAgentPolicyConfig> read_policies(const json& v) {
  if (!v.is_object() || v.empty()) {
    throw Error(std::string(kWho) +
                ": 'policies' must be a non-empty object of policy ids, such as "
                "{\"shared\": {}} or {\"learner\": {}, \"opponent\": {\"trained\": false}}, got " +
                json_excerpt(v));
  }
  std::map<std::string, MultiAgentPolicyConfig> out;
  for (const auto& [id, entry] : v.items()) {
    const std::string where = std::string(kWho) + ": 'policies." + id + "'";
    try {
      validate_policy_id(id);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    if (!entry.is_object()) {
      throw Error(where +
                  " must be an object such as {\"trained\": true, \"config\": "
                  "{\"learning_rate\": 0.001}}, got " +
                  json_excerpt(entry));
    }
    MultiAgentPolicyConfig p;
    for (const auto& [key, value] : entry.items()) {
      if (key == "trained") {
        if (!value.is_boolean())
          throw Error(where + ": 'trained' must be true or false, got " + json_excerpt(value));
        p.trained = value.get<bool>();
      } else if (key == "config") {
        if (!value.is_object())
          throw Error(where + ": 'config' must be an object of PPO keys, got " +
                      json_excerpt(value));
        for (const auto& [k, unused] : value.items()) {
          (void)unused;
          if (!is_policy_key(k)) {
            throw Error(where + ": 'config." + k +
                        "' cannot be set per policy (a policy may set: " + policy_keys_list() +
                        ")");
          }
        }
        p.overrides = value;
      } else {
        throw Error(where + ": unknown key '" + key + "' (known: trained, config)");
      }
    }
    out.emplace(id, std::move(p));
  }
  return out;
}

std::optional<MultiAgentLeagueConfig> read_league(const json& v) {
  if (v.is_null()) return std::nullopt;
  const std::string where = std::string(kWho) + ": 'league'";
  if (!v.is_object()) {
    throw Error(where +
                " must be null or an object such as {\"learner\": \"main\", "
                "\"snapshot_every\": 10, \"size\": 4}, got " +
                json_excerpt(v));
  }
  MultiAgentLeagueConfig league;
  bool has_learner = false;
  for (const auto& [key, value] : v.items()) {
    if (key == "learner") {
      if (!value.is_string()) throw Error(where + ": 'learner' must be a policy id");
      league.learner = value.get<std::string>();
      has_learner = true;
    } else if (key == "snapshot_every" || key == "size") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1000000) {
        throw Error(where + ": '" + key + "' must be an integer from 1 to 1000000, got " +
                    json_excerpt(value));
      }
      (key == "size" ? league.size : league.snapshot_every) = value.get<int64_t>();
    } else {
      throw Error(where + ": unknown key '" + key + "' (known: learner, snapshot_every, size)");
    }
  }
  if (!has_learner) throw Error(where + ": 'learner' (the trained policy it copies) is missing");
  return league;
}

}  // namespace

std::vector<std::string> MultiAgentLeagueConfig::snapshot_ids() const {
  std::vector<std::string> ids;
  for (int64_t n = 1; n <= size; ++n) ids.push_back(learner + "_v" + std::to_string(n));
  return ids;
}

MultiAgentPPOConfig::MultiAgentPPOConfig() {
  ppo.env_id = "MultiAgentCartPole-v0";
  policies.emplace(kDefaultPolicyId, MultiAgentPolicyConfig());
  policy_mapping = {{"*", kDefaultPolicyId}};
}

std::vector<std::string> MultiAgentPPOConfig::policy_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, unused] : policies) ids.push_back(id);
  if (league) {
    for (std::string& id : league->snapshot_ids()) ids.push_back(std::move(id));
    std::sort(ids.begin(), ids.end());
  }
  return ids;
}

bool MultiAgentPPOConfig::is_trained(const std::string& id) const {
  const auto it = policies.find(id);
  return it != policies.end() && it->second.trained;
}

PPOConfig MultiAgentPPOConfig::policy_config(const std::string& id) const {
  auto it = policies.find(id);
  if (it == policies.end() && league) {
    const std::vector<std::string> copies = league->snapshot_ids();
    if (std::find(copies.begin(), copies.end(), id) != copies.end())
      it = policies.find(league->learner);
  }
  if (it == policies.end()) throw Error(std::string(kWho) + ": no policy '" + id + "'");
  try {
    PPOConfig c = PPOConfig::from_json(it->second.overrides, ppo);
    c.validate();
    return c;
  } catch (const Error& e) {
    throw Error(std::string(kWho) + ": 'policies." + id + ".config': " + e.what());
  }
}

PolicyMapping MultiAgentPPOConfig::mapping() const {
  std::vector<std::string> ids = policy_ids();
  if (league) ids.push_back(kLeaguePolicyId);
  return PolicyMapping::from_json(policy_mapping, ids, std::string(kWho) + " 'policy_mapping'");
}

void MultiAgentPPOConfig::validate() const {
  ppo.validate();
  if (!ppo.memory.is_null()) {
    throw Error(std::string(kWho) +
                ": 'memory' must be null (recurrent policies are not supported in multi-agent "
                "runs yet)");
  }
  if (ppo.non_finite != NonFiniteHandling::kError) {
    throw Error(std::string(kWho) +
                ": 'non_finite' must be \"error\" (skipping non-finite data is not supported in "
                "multi-agent runs yet)");
  }
  if (ppo.num_env_threads != 1) {
    throw Error(std::string(kWho) + ": 'num_env_threads' must be 1 (multi-agent environments " +
                "step on one thread), got " + std::to_string(ppo.num_env_threads));
  }
  if (policies.empty()) throw Error(std::string(kWho) + ": 'policies' must not be empty");
  for (const auto& [id, unused] : policies) (void)policy_config(id);
  if (league) {
    const std::string where = std::string(kWho) + ": 'league'";
    if (!is_trained(league->learner)) {
      throw Error(where + ": 'learner' must be a trained policy of 'policies', got '" +
                  league->learner + "'");
    }
    if (policies.count(kLeaguePolicyId)) {
      throw Error(where + ": a policy cannot be named '" + std::string(kLeaguePolicyId) +
                  "' in a run with a league (the mapping's id for the league's agents)");
    }
    for (const std::string& id : league->snapshot_ids()) {
      if (policies.count(id)) {
        throw Error(where + ": policy '" + id + "' has the name of one of the league's copies");
      }
      validate_policy_id(id);
    }
  }
  (void)mapping();
}

json MultiAgentPPOConfig::to_json() const {
  json j = ppo.to_json();
  json p = json::object();
  for (const auto& [id, policy] : policies) {
    p[id] = {{"trained", policy.trained}, {"config", policy.overrides}};
  }
  j["policies"] = p;
  j["policy_mapping"] = policy_mapping;
  j["league"] = league ? json{{"learner", league->learner},
                              {"snapshot_every", league->snapshot_every},
                              {"size", league->size}}
                       : json(nullptr);
  return j;
}

MultiAgentPPOConfig MultiAgentPPOConfig::from_json(const json& j) {
  if (!j.is_object()) throw Error(std::string(kWho) + " must be a JSON object");
  MultiAgentPPOConfig c;
  json ppo_keys = j;
  if (j.contains("policies")) {
    c.policies = read_policies(j["policies"]);
    ppo_keys.erase("policies");
  }
  if (j.contains("policy_mapping")) {
    c.policy_mapping = j["policy_mapping"];
    ppo_keys.erase("policy_mapping");
  }
  if (j.contains("league")) {
    c.league = read_league(j["league"]);
    ppo_keys.erase("league");
  }
  c.ppo = PPOConfig::from_json(ppo_keys, c.ppo);
  return c;
}

void MultiAgentPPOConfig::set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  const std::string key = assignment.substr(0, eq);
  if (eq != std::string::npos &&
      (key == "policies" || key == "policy_mapping" || key == "league")) {
    json value;
    try {
      value = json::parse(assignment.substr(eq + 1));
    } catch (const json::exception&) {
      throw Error(std::string(kWho) + ": '" + key + "' must be given as JSON, got '" +
                  assignment.substr(eq + 1) + "'");
    }
    if (key == "policies") {
      policies = read_policies(value);
    } else if (key == "league") {
      league = read_league(value);
    } else {
      policy_mapping = value;
    }
    return;
  }
  ppo.set(assignment);
}

}  // namespace cairn
