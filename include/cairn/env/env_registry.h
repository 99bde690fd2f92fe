// The environment registry: make("CartPole-v1") as gymnasium.make.
//
// Built-in environments are registered on first use of the registry. Users
// register their own with register_env(). make() builds the environment from
// its factory and wraps it in TimeLimit when the spec has a time limit.
//
// Thread safety: register_env, make and the queries may be called from any
// thread; the registry is guarded by a mutex. Each call allocates.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/env/env.h"

namespace cairn {

// Reads an environment's options (the keyword arguments of gymnasium.make) and
// refuses unknown keys: factories read what they accept, then call finish().
// All methods throw cairn::Error naming the environment and the key.
class EnvOptions {
 public:
  EnvOptions(std::string env_id, nlohmann::json options);
  double number(const std::string& key, double fallback);
  int64_t integer(const std::string& key, int64_t fallback);
  bool boolean(const std::string& key, bool fallback);
  std::string string(const std::string& key, const std::string& fallback);
  // A (min, max) pair, as Gymnasium's range tuples such as healthy_z_range: a JSON array of
  // two numbers, where an unbounded side is written "inf" or "-inf" (JSON has no infinity;
  // the same spelling as spaces' bounds). Throws cairn::Error naming the option otherwise.
  std::pair<double, double> range(const std::string& key, std::pair<double, double> fallback);
  // Throws if any option was not read, listing the unknown keys.
  void finish() const;

 private:
  const nlohmann::json* find(const std::string& key);
  std::string env_id_;
  nlohmann::json options_;
  std::vector<std::string> read_;
};

struct EnvSpec {
  std::string id;  // e.g. "CartPole-v1"
  // Builds the unwrapped environment. Must reject unknown options (see EnvOptions).
  std::function<std::unique_ptr<Env>(EnvOptions& options)> factory;
  std::optional<int64_t> max_episode_steps;  // TimeLimit applied by make()
  std::optional<double> reward_threshold;    // the return at which the task counts as solved
  std::string description;
};

// Registers a spec. Throws cairn::Error if the id is empty, already registered,
// or the factory is empty.
void register_env(EnvSpec spec);

// Builds a registered environment. `options` is a JSON object of the
// environment's keyword arguments; the key "max_episode_steps" overrides the
// spec's time limit (0 or null removes it). Throws cairn::Error for an unknown id
// (listing the registered ids), bad options, or a failing factory.
std::unique_ptr<Env> make(const std::string& id,
                          const nlohmann::json& options = nlohmann::json::object());

// Registered ids, sorted.
std::vector<std::string> registered_env_ids();
bool is_registered(const std::string& id);
// Throws cairn::Error for an unknown id, listing the registered ids.
EnvSpec env_spec(const std::string& id);

}  // namespace cairn
