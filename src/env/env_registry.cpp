#include "cairn/env/env_registry.h"

#include <algorithm>
#include <limits>
#include <map>

#include "cairn/env/time_limit.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"
#include "env/builtin_env_specs.h"
#include "env/spec_registry.h"

namespace cairn {
namespace {

SpecRegistry<EnvSpec>& registry() {
  static SpecRegistry<EnvSpec> r("register_env", "environment", builtin_env_specs);
  return r;
}

}  // namespace

EnvOptions::EnvOptions(std::string env_id, nlohmann::json options)
    : env_id_(std::move(env_id)), options_(std::move(options)) {
  if (options_.is_null()) options_ = nlohmann::json::object();
  if (!options_.is_object()) {
    throw Error("options for '" + env_id_ + "' must be a JSON object, got " +
                json_excerpt(options_));
  }
}

const nlohmann::json* EnvOptions::find(const std::string& key) {
  auto it = options_.find(key);
  if (it == options_.end()) return nullptr;
  read_.push_back(key);
  return &*it;
}

double EnvOptions::number(const std::string& key, double fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number()) {
    throw Error("option '" + key + "' of '" + env_id_ + "' must be a number, got " +
                excerpt(v->dump()));
  }
  return v->get<double>();
}

int64_t EnvOptions::integer(const std::string& key, int64_t fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number_integer()) {
    throw Error("option '" + key + "' of '" + env_id_ + "' must be an integer, got " +
                excerpt(v->dump()));
  }
  return v->get<int64_t>();
}

bool EnvOptions::boolean(const std::string& key, bool fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    throw Error("option '" + key + "' of '" + env_id_ + "' must be true or false, got " +
                excerpt(v->dump()));
  }
  return v->get<bool>();
}

std::string EnvOptions::string(const std::string& key, const std::string& fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) {
    throw Error("option '" + key + "' of '" + env_id_ + "' must be a string, got " +
                excerpt(v->dump()));
  }
  return v->get<std::string>();
}

std::pair<double, double> EnvOptions::range(const std::string& key,
                                            std::pair<double, double> fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  auto bound = [](const nlohmann::json& b, double& out) {
    if (b.is_number()) {
      out = b.get<double>();
      return true;
    }
    if (b.is_string() && (b == "inf" || b == "-inf")) {
      out = b == "inf" ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
      return true;
    }
    return false;
  };
  std::pair<double, double> r;
  if (!v->is_array() || v->size() != 2 || !bound((*v)[0], r.first) || !bound((*v)[1], r.second)) {
    throw Error("option '" + key + "' of '" + env_id_ +
                "' must be a range [min, max] of two numbers (\"inf\" or \"-inf\" for an "
                "unbounded side), got " +
                excerpt(v->dump()));
  }
  return r;
}

void EnvOptions::finish() const {
  std::string unknown;
  for (const auto& [key, value] : options_.items()) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      unknown += (unknown.empty() ? "'" : ", '") + key + "'";
    }
  }
  if (!unknown.empty()) throw Error("unknown option(s) for '" + env_id_ + "': " + unknown);
}

void register_env(EnvSpec spec) {
  registry().add(std::move(spec));
}

std::unique_ptr<Env> make(const std::string& id, const nlohmann::json& options) {
  EnvSpec spec = registry().find(id);
  nlohmann::json env_options = options.is_null() ? nlohmann::json::object() : options;
  if (!env_options.is_object()) {
    throw Error("options for '" + id + "' must be a JSON object, got " + json_excerpt(options));
  }
  int64_t max_steps = spec.max_episode_steps.value_or(0);  // 0: no time limit
  if (auto it = env_options.find("max_episode_steps"); it != env_options.end()) {
    if (it->is_null() || (it->is_number_integer() && it->get<int64_t>() == 0)) {
      max_steps = 0;
    } else if (it->is_number_integer() && it->get<int64_t>() > 0) {
      max_steps = it->get<int64_t>();
    } else {
      throw Error("option 'max_episode_steps' of '" + id +
                  "' must be a positive integer (or 0/null for no limit), got " +
                  excerpt(it->dump()));
    }
    env_options.erase(it);
  }
  EnvOptions reader(id, std::move(env_options));
  std::unique_ptr<Env> env = spec.factory(reader);
  reader.finish();
  if (!env) throw Error("the factory of '" + id + "' returned no environment");
  if (max_steps > 0) env = std::make_unique<TimeLimit>(std::move(env), max_steps);
  return env;
}

std::vector<std::string> registered_env_ids() {
  return registry().ids();
}

bool is_registered(const std::string& id) {
  return registry().contains(id);
}

EnvSpec env_spec(const std::string& id) {
  return registry().find(id);
}

}  // namespace cairn
