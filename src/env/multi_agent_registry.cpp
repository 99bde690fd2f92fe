#include "cairn/env/multi_agent_registry.h"

#include <map>
#include <mutex>

#include "cairn/error.h"
#include "env/builtin_multi_agent_env_specs.h"

namespace cairn {
namespace {

struct MultiAgentRegistry {
  std::mutex mutex;
  std::map<std::string, MultiAgentEnvSpec> specs;
  bool builtins_registered = false;
};

void add_locked(MultiAgentRegistry& r, MultiAgentEnvSpec spec) {
  if (spec.id.empty()) throw Error("register_multi_agent_env: the environment id is empty");
  if (!spec.factory) throw Error("register_multi_agent_env: '" + spec.id + "' has no factory");
  if (r.specs.count(spec.id)) {
    throw Error("register_multi_agent_env: '" + spec.id + "' is already registered");
  }
  std::string id = spec.id;
  r.specs.emplace(std::move(id), std::move(spec));
}

// Built-ins are added lazily, as in the single-agent registry.
MultiAgentRegistry& ready_registry(std::unique_lock<std::mutex>& lock) {
  static MultiAgentRegistry r;
  lock = std::unique_lock<std::mutex>(r.mutex);
  if (!r.builtins_registered) {
    r.builtins_registered = true;
    for (MultiAgentEnvSpec& spec : builtin_multi_agent_env_specs()) add_locked(r, std::move(spec));
  }
  return r;
}

const MultiAgentEnvSpec& find_locked(const MultiAgentRegistry& r, const std::string& id) {
  const auto it = r.specs.find(id);
  if (it == r.specs.end()) {
    std::string ids;
    for (const auto& [known, spec] : r.specs) ids += (ids.empty() ? "" : ", ") + known;
    throw Error("unknown multi-agent environment id '" + id + "'; registered ids: " + ids);
  }
  return it->second;
}

}  // namespace

void register_multi_agent_env(MultiAgentEnvSpec spec) {
  std::unique_lock<std::mutex> lock;
  add_locked(ready_registry(lock), std::move(spec));
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
  std::unique_lock<std::mutex> lock;
  const MultiAgentRegistry& r = ready_registry(lock);
  std::vector<std::string> ids;
  for (const auto& [id, spec] : r.specs) ids.push_back(id);
  return ids;
}

bool is_multi_agent_env(const std::string& id) {
  std::unique_lock<std::mutex> lock;
  return ready_registry(lock).specs.count(id) != 0;
}

MultiAgentEnvSpec multi_agent_env_spec(const std::string& id) {
  std::unique_lock<std::mutex> lock;
  return find_locked(ready_registry(lock), id);
}

}  // namespace cairn
