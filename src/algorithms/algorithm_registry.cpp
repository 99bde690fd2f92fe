#include "cairn/algorithms/algorithm_registry.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "algorithms/algorithm_table.h"
#include "cairn/algorithms/builtin_algorithms.h"
#include "cairn/error.h"

namespace cairn {
namespace {

std::string lower_case(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::map<std::string, AlgorithmInfo>& algorithm_table() {
  static std::map<std::string, AlgorithmInfo> algorithms = [] {
    std::map<std::string, AlgorithmInfo> m;
    for (AlgorithmInfo& info : builtin_algorithms()) {
      std::string name = info.name;
      m.emplace(std::move(name), std::move(info));
    }
    return m;
  }();
  return algorithms;
}

namespace {
std::map<std::string, AlgorithmInfo>& registry() {
  return algorithm_table();
}
}  // namespace

void register_algorithm(AlgorithmInfo info) {
  if (info.name.empty() || info.name != lower_case(info.name)) {
    throw Error("register_algorithm: the name must be non-empty and lower-case, got '" + info.name +
                "'");
  }
  if (!info.default_config || !info.untuned_config || !info.normalize_config || !info.create ||
      !info.check_state) {
    throw Error("register_algorithm: '" + info.name + "' lacks one of its functions");
  }
  if (info.label.empty()) info.label = info.name;
  std::string name = info.name;
  registry()[name] = std::move(info);
}

bool has_algorithm(const std::string& name) {
  return registry().count(lower_case(name)) != 0;
}

const AlgorithmInfo& algorithm_info(const std::string& name) {
  auto it = registry().find(lower_case(name));
  if (it == registry().end()) {
    std::string known;
    for (const std::string& n : algorithm_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown algorithm '" + name + "' (known: " + known + ")");
  }
  return it->second;
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> names;
  for (const auto& [name, info] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const nlohmann::json& config) {
  const AlgorithmInfo& info = algorithm_info(name);
  return info.create(info.normalize_config(config));
}

}  // namespace cairn
