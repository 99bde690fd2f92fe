// The registry of multi-agent environments: make_multi_agent("MultiAgentCartPole-v0"), as
// make() for single-agent ones (env_registry.h), with the same EnvOptions for their keyword
// arguments. Built-in multi-agent environments are registered on first use; users register
// their own with register_multi_agent_env(). Ids share no namespace with single-agent ids.
//
// Thread safety: every function may be called from any thread (a mutex guards the registry).
// Each call allocates.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/env/env_registry.h"
#include "cairn/env/multi_agent_env.h"

namespace cairn {

struct MultiAgentEnvSpec {
  std::string id;  // e.g. "MultiAgentCartPole-v0"
  // Builds the environment. Must reject unknown options (EnvOptions::finish).
  std::function<std::unique_ptr<MultiAgentEnv>(EnvOptions& options)> factory;
  // The return per agent at which the task counts as solved, if it has one.
  std::optional<double> reward_threshold;
  std::string description;
};

// Throws cairn::Error if the id is empty or already registered, or the factory is empty.
void register_multi_agent_env(MultiAgentEnvSpec spec);

// Builds a registered multi-agent environment (named after its id). Throws cairn::Error for
// an unknown id (listing the registered ids), bad options, or a failing factory.
std::unique_ptr<MultiAgentEnv> make_multi_agent(
    const std::string& id, const nlohmann::json& options = nlohmann::json::object());

// Registered ids, sorted.
std::vector<std::string> registered_multi_agent_env_ids();
bool is_multi_agent_env(const std::string& id);
// Throws cairn::Error for an unknown id, listing the registered ids.
MultiAgentEnvSpec multi_agent_env_spec(const std::string& id);

}  // namespace cairn
