#include "cairn/env/multi_agent_registry.h"

#include <utility>

#include "cairn/error.h"
#include "env/builtin_multi_agent_env_specs.h"
#include "env/spec_registry.h"

namespace cairn {
namespace {

SpecRegistry<MultiAgentEnvSpec>& registry() {
  static SpecRegistry<MultiAgentEnvSpec> r("register_multi_agent_env", "multi-agent environment",
                                           builtin_multi_agent_env_specs);
  return r;
}

}  // namespace

void register_multi_agent_env(MultiAgentEnvSpec spec) {
  registry().add(std::move(spec));
}

std::unique_ptr<MultiAgentEnv> make_multi_agent(const std::string& id,
                                                const nlohmann::json& options) {
  MultiAgentEnvSpec spec = multi_agent_env_spec(id);
  EnvOptions reader(id, options);
  std::unique_ptr<MultiAgentEnv> env;
  try {
    env = spec.factory(reader);
  } catch (const Error& e) {
    throw Error("making '" + id + "': " + e.what());
  }
  reader.finish();
  if (!env) throw Error("the factory of '" + id + "' returned no environment");
  env->set_name(id);
  return env;
}

std::vector<std::string> registered_multi_agent_env_ids() {
  return registry().ids();
}

bool is_multi_agent_env(const std::string& id) {
  return registry().contains(id);
}

MultiAgentEnvSpec multi_agent_env_spec(const std::string& id) {
  return registry().find(id);
}

}  // namespace cairn
