// ConfigFields: the JSON form of an algorithm's config, one table per config type.
//
// Every algorithm config (PPOConfig, SACConfig, ...) is a plain struct; its table lists
// each field once with its key, type and range, and from that one table come reading
// (from_json: unknown keys and out-of-range values refused with a cairn::Error naming the
// key), writing (to_json: every key, so a saved config restores exactly) and the CLI's
// "key=value" overrides. Messages start with the table's label ("SAC config: 'tau' must be
// in [0, 1], got 2").
//
// The fields every algorithm shares (environment, seed, non-finite handling, the default
// model's sizes) live in AlgorithmConfig, a base of each config, and are added to a table
// by add_shared_fields().
//
// Thread safety: a built table is immutable and may be shared. Allocation: reading and
// writing allocate.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn {

// Size limits of a config, checked by validation (with overflow-safe products) so that
// an absurd size is an error naming the key rather than std::bad_alloc.
inline constexpr int64_t kMaxNumEnvs = int64_t{1} << 20;
inline constexpr int64_t kMaxNumEnvThreads = 1024;
inline constexpr int64_t kMaxNumSteps = int64_t{1} << 24;
inline constexpr int64_t kMaxBatchSize = int64_t{1} << 26;        // transitions per update
inline constexpr int64_t kMaxModelParameters = int64_t{1} << 28;  // 1 GiB of float32

// The settings every algorithm has.
struct AlgorithmConfig {
  // Environment
  std::string env_id = "CartPole-v1";
  nlohmann::json env_options = nlohmann::json::object();  // keyword arguments of make()
  int64_t num_envs = 4;
  int64_t num_env_threads = 1;       // threads stepping the environments
  int64_t total_timesteps = 500000;  // the horizon of schedules (learning rate, epsilon)
  // The default model: "default" or a model spec (PPO; the off-policy algorithms build
  // their networks from hidden_sizes and activation).
  std::string activation = "tanh";
  std::vector<int64_t> hidden_sizes = {64, 64};
  bool normalize_observations = false;
  double observation_clip = 10.0;
  // Reproducibility
  uint64_t seed = 1;
  // Non-finite data: JSON "error" or "skip" (see NonFiniteHandling).
  NonFiniteHandling non_finite = NonFiniteHandling::kError;

  bool operator==(const AlgorithmConfig&) const = default;
};

template <typename Config>
class ConfigFields {
 public:
  using json = nlohmann::json;
  using Reader = std::function<void(Config&, const json&)>;
  using Writer = std::function<json(const Config&)>;

  // `label` begins every message: "PPO config".
  explicit ConfigFields(std::string label) : label_(std::move(label)) {}

  // Throws "<label>: '<key>' <what>, got <value>". Readers capture the label by value
  // (a table is copied into its static home, so they must not hold `this`).
  [[noreturn]] static void bad(const std::string& label, const std::string& key,
                               const std::string& what, const json& value) {
    throw Error(label + ": '" + key + "' " + what + ", got " + excerpt_of(value));
  }

  ConfigFields& integer(const std::string& key, int64_t Config::*field, int64_t min,
                        int64_t max = std::numeric_limits<int64_t>::max()) {
    return custom(
        key,
        [label = label_, field, key, min, max](Config& c, const json& v) {
          // An unsigned value above INT64_MAX would wrap to a negative int64_t.
          if (!v.is_number_integer() ||
              (v.is_number_unsigned() &&
               v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
            bad(label, key, "must be an integer of at most " + std::to_string(max), v);
          }
          if (v.get<int64_t>() < min) bad(label, key, "must be at least " + std::to_string(min), v);
          if (v.get<int64_t>() > max) bad(label, key, "must be at most " + std::to_string(max), v);
          c.*field = v.get<int64_t>();
        },
        [field](const Config& c) { return json(c.*field); });
  }

  ConfigFields& number(const std::string& key, double Config::*field, double min, double max,
                       bool min_exclusive = false) {
    return custom(
        key,
        [label = label_, field, key, min, max, min_exclusive](Config& c, const json& v) {
          if (!v.is_number()) bad(label, key, "must be a number", v);
          const double d = v.get<double>();
          if (!(min_exclusive ? d > min : d >= min) || !(d <= max)) {
            bad(label, key,
                std::string("must be in ") + (min_exclusive ? "(" : "[") + std::to_string(min) +
                    ", " + std::to_string(max) + "]",
                v);
          }
          c.*field = d;
        },
        [field](const Config& c) { return json(c.*field); });
  }

  ConfigFields& boolean(const std::string& key, bool Config::*field) {
    return custom(
        key,
        [label = label_, field, key](Config& c, const json& v) {
          if (!v.is_boolean()) bad(label, key, "must be true or false", v);
          c.*field = v.get<bool>();
        },
        [field](const Config& c) { return json(c.*field); });
  }

  // One of `choices`.
  ConfigFields& choice(const std::string& key, std::string Config::*field,
                       std::vector<std::string> choices) {
    return custom(
        key,
        [label = label_, field, key, choices](Config& c, const json& v) {
          std::string listed;
          for (const std::string& s : choices)
            listed += (listed.empty() ? "\"" : ", \"") + s + "\"";
          if (!v.is_string()) bad(label, key, "must be one of " + listed, v);
          for (const std::string& s : choices) {
            if (v.get<std::string>() == s) {
              c.*field = s;
              return;
            }
          }
          bad(label, key, "must be one of " + listed, v);
        },
        [field](const Config& c) { return json(c.*field); });
  }

  // A field with its own reader (which calls bad() on a wrong value) and writer.
  ConfigFields& custom(const std::string& key, Reader reader, Writer writer) {
    for (const Field& f : fields_) {
      if (f.key == key) throw Error(label_ + ": field '" + key + "' listed twice");
    }
    fields_.push_back({key, std::move(reader), std::move(writer)});
    return *this;
  }

  // env_id, env_options, num_envs, num_env_threads, total_timesteps, activation,
  // hidden_sizes, normalize_observations, observation_clip, seed, non_finite: the fields of
  // AlgorithmConfig, which Config derives from. Defined in src/algorithms/config_fields.cpp.
  ConfigFields& add_shared_fields();

  // Starts from `base` and applies the keys of `j` (an object). Throws cairn::Error naming
  // an unknown key (and listing the known ones) or the first invalid value.
  Config read(const json& j, const Config& base) const {
    if (!j.is_object()) throw Error(label_ + ": expected a JSON object, got " + excerpt_of(j));
    Config c = base;
    for (const auto& [key, value] : j.items()) find(key).read(c, value);
    return c;
  }

  // Every key, in the table's order.
  json write(const Config& c) const {
    json j = json::object();
    for (const Field& f : fields_) j[f.key] = f.write(c);
    return j;
  }

  // Applies one override "key=value", where value is JSON (a bare word is taken as a
  // string). Throws cairn::Error naming the key.
  void set(Config& c, const std::string& assignment) const {
    const json one = parse_assignment(label_, assignment);
    c = read(one, c);
  }

  const std::string& label() const { return label_; }

 private:
  struct Field {
    std::string key;
    Reader read;
    Writer write;
  };

  const Field& find(const std::string& key) const {
    for (const Field& f : fields_) {
      if (f.key == key) return f;
    }
    std::vector<std::string> keys;
    for (const Field& f : fields_) keys.push_back(f.key);
    std::sort(keys.begin(), keys.end());
    std::string known;
    for (const std::string& k : keys) known += (known.empty() ? "" : ", ") + k;
    throw Error(label_ + ": unknown key '" + key + "' (known keys: " + known + ")");
  }

  static std::string excerpt_of(const json& value);
  // {"key": value} of "key=value" (src/algorithms/config_fields.cpp).
  static json parse_assignment(const std::string& label, const std::string& assignment);

  std::string label_;
  std::vector<Field> fields_;
};

// Non-template pieces (src/algorithms/config_fields.cpp).
namespace config_fields {
std::string excerpt_of(const nlohmann::json& value);
nlohmann::json parse_assignment(const std::string& label, const std::string& assignment);
// The readers and writers of AlgorithmConfig's fields, for any table.
void add_shared_fields(
    const std::string& label,
    const std::function<void(const std::string& key,
                             std::function<void(AlgorithmConfig&, const nlohmann::json&)> read,
                             std::function<nlohmann::json(const AlgorithmConfig&)> write)>& add);
}  // namespace config_fields

template <typename Config>
std::string ConfigFields<Config>::excerpt_of(const json& value) {
  return config_fields::excerpt_of(value);
}

template <typename Config>
nlohmann::json ConfigFields<Config>::parse_assignment(const std::string& label,
                                                      const std::string& assignment) {
  return config_fields::parse_assignment(label, assignment);
}

template <typename Config>
ConfigFields<Config>& ConfigFields<Config>::add_shared_fields() {
  config_fields::add_shared_fields(
      label_, [this](const std::string& key,
                     std::function<void(AlgorithmConfig&, const nlohmann::json&)> read,
                     std::function<nlohmann::json(const AlgorithmConfig&)> write) {
        custom(
            key, [read](Config& c, const json& v) { read(static_cast<AlgorithmConfig&>(c), v); },
            [write](const Config& c) { return write(static_cast<const AlgorithmConfig&>(c)); });
      });
  return *this;
}

// Throws cairn::Error ("<label>: 'hidden_sizes' [..] makes a model of more than N
// parameters") if two networks of `hidden_sizes` exceed kMaxModelParameters (the products
// between consecutive hidden layers dominate; input and output widths are bounded once the
// spaces are known).
void check_hidden_sizes(const std::string& label, const std::vector<int64_t>& hidden_sizes,
                        int64_t networks);

}  // namespace cairn
