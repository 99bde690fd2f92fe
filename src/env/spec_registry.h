// SpecRegistry: the one implementation behind both environment registries (env_registry.h
// for single-agent specs, multi_agent_registry.h for multi-agent ones): specs by id behind a
// mutex, the built-in specs added lazily on first use (so static-initialisation order never
// matters and a program that links cairn statically still sees them), and the errors that
// name an id or list the registered ones.
//
// Spec needs `id` (std::string) and `factory` (testable as bool). Thread-safe: every method
// takes the mutex. Methods allocate.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cairn/error.h"

namespace cairn {

template <typename Spec>
class SpecRegistry {
 public:
  // `who` names registration in errors ("register_env"); `kind` names ids in errors
  // ("environment", "multi-agent environment"); `builtins` gives the built-in specs.
  SpecRegistry(std::string who, std::string kind, std::function<std::vector<Spec>()> builtins)
      : who_(std::move(who)), kind_(std::move(kind)), builtins_(std::move(builtins)) {}

  // Throws cairn::Error for an empty id, no factory, or an id already registered.
  void add(Spec spec) {
    std::unique_lock<std::mutex> lock = ready();
    add_locked(std::move(spec));
  }
  // A copy of the spec of `id`. Throws cairn::Error naming the id and listing the registered
  // ids when there is none.
  Spec find(const std::string& id) {
    std::unique_lock<std::mutex> lock = ready();
    const auto it = specs_.find(id);
    if (it == specs_.end()) {
      std::string ids;
      for (const auto& [known, unused] : specs_) ids += (ids.empty() ? "" : ", ") + known;
      throw Error("unknown " + kind_ + " id '" + id + "'; registered ids: " + ids);
    }
    return it->second;
  }
  bool contains(const std::string& id) {
    std::unique_lock<std::mutex> lock = ready();
    return specs_.count(id) != 0;
  }
  // Registered ids, sorted.
  std::vector<std::string> ids() {
    std::unique_lock<std::mutex> lock = ready();
    std::vector<std::string> out;
    for (const auto& [id, unused] : specs_) out.push_back(id);
    return out;
  }

 private:
  std::unique_lock<std::mutex> ready() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!builtins_added_) {
      builtins_added_ = true;
      for (Spec& spec : builtins_()) add_locked(std::move(spec));
    }
    return lock;
  }
  void add_locked(Spec spec) {
    if (spec.id.empty()) throw Error(who_ + ": the environment id is empty");
    if (!spec.factory) throw Error(who_ + ": '" + spec.id + "' has no factory");
    if (specs_.count(spec.id)) throw Error(who_ + ": '" + spec.id + "' is already registered");
    std::string id = spec.id;
    specs_.emplace(std::move(id), std::move(spec));
  }

  std::string who_, kind_;
  std::function<std::vector<Spec>()> builtins_;
  std::mutex mutex_;
  std::map<std::string, Spec> specs_;
  bool builtins_added_ = false;
};

}  // namespace cairn
