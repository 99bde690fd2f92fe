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
constexpr std::array<std::string_view, 21> kPolicyKeys = {"hidden_sizes",
                                                          "activation",
                                                          "model",
                                                          "log_std_init",
                                                          "normalize_observations",
                                                          "observation_clip",
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

}  // namespace

MultiAgentPPOConfig::MultiAgentPPOConfig() {
  ppo.env_id = "MultiAgentCartPole-v0";
  policies.emplace(kDefaultPolicyId, MultiAgentPolicyConfig());
  policy_mapping = {{"*", kDefaultPolicyId}};
}

std::vector<std::string> MultiAgentPPOConfig::policy_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, unused] : policies) ids.push_back(id);
  return ids;
}

PPOConfig MultiAgentPPOConfig::policy_config(const std::string& id) const {
  const auto it = policies.find(id);
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
  return PolicyMapping::from_json(policy_mapping, policy_ids(),
                                  std::string(kWho) + " 'policy_mapping'");
}

void MultiAgentPPOConfig::validate() const {
  ppo.validate();
  if (!ppo.memory.is_null()) {
    throw Error(std::string(kWho) +
                ": 'memory' must be null (recurrent policies are not supported in multi-agent "
                "runs yet)");
  }
  if (ppo.normalize_rewards) {
    throw Error(std::string(kWho) +
                ": 'normalize_rewards' must be false (not supported in multi-agent runs yet)");
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
  c.ppo = PPOConfig::from_json(ppo_keys, c.ppo);
  return c;
}

void MultiAgentPPOConfig::set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  const std::string key = assignment.substr(0, eq);
  if (eq != std::string::npos && (key == "policies" || key == "policy_mapping")) {
    json value;
    try {
      value = json::parse(assignment.substr(eq + 1));
    } catch (const json::exception&) {
      throw Error(std::string(kWho) + ": '" + key + "' must be given as JSON, got '" +
                  assignment.substr(eq + 1) + "'");
    }
    if (key == "policies") {
      policies = read_policies(value);
    } else {
      policy_mapping = value;
    }
    return;
  }
  ppo.set(assignment);
}

}  // namespace cairn
