#include "cairn/algorithms/config_fields.h"

#include "cairn/io/text_file.h"

namespace cairn {
namespace config_fields {

using json = nlohmann::json;

std::string excerpt_of(const json& value) {
  return json_excerpt(value);
}

json parse_assignment(const std::string& label, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(label + ": override " + excerpt(assignment) + " must look like key=value");
  }
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  json value;
  try {
    // Strictly, as every JSON cairn reads: a duplicate key in an object value is an error.
    value = parse_json_strictly(text, label + ": override '" + key + "'");
  } catch (const Error& e) {
    // A bare word, e.g. env_id=Pendulum-v1, is the string itself; JSON that only looks
    // like an object or array but is malformed is an error, with the parser's position.
    const size_t first = text.find_first_not_of(" \t");
    if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) throw;
    value = text;
  }
  return json{{key, value}};
}

void add_shared_fields(
    const std::string& label,
    const std::function<void(const std::string& key,
                             std::function<void(AlgorithmConfig&, const json&)> read,
                             std::function<json(const AlgorithmConfig&)> write)>& add) {
  auto bad = [label](const std::string& key, const std::string& what, const json& v) {
    throw Error(label + ": '" + key + "' " + what + ", got " + json_excerpt(v));
  };
  auto integer = [bad](const std::string& key, int64_t AlgorithmConfig::*field, int64_t min,
                       int64_t max) {
    return [bad, key, field, min, max](AlgorithmConfig& c, const json& v) {
      if (!v.is_number_integer() ||
          (v.is_number_unsigned() &&
           v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
        bad(key, "must be an integer of at most " + std::to_string(max), v);
      }
      if (v.get<int64_t>() < min) bad(key, "must be at least " + std::to_string(min), v);
      if (v.get<int64_t>() > max) bad(key, "must be at most " + std::to_string(max), v);
      c.*field = v.get<int64_t>();
    };
  };
  add(
      "env_id",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_string() || v.get<std::string>().empty())
          bad("env_id", "must be a non-empty string", v);
        c.env_id = v.get<std::string>();
      },
      [](const AlgorithmConfig& c) { return json(c.env_id); });
  add(
      "env_options",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_object()) bad("env_options", "must be an object", v);
        c.env_options = v;
      },
      [](const AlgorithmConfig& c) { return c.env_options; });
  add("num_envs", integer("num_envs", &AlgorithmConfig::num_envs, 1, kMaxNumEnvs),
      [](const AlgorithmConfig& c) { return json(c.num_envs); });
  add("num_env_threads",
      integer("num_env_threads", &AlgorithmConfig::num_env_threads, 1, kMaxNumEnvThreads),
      [](const AlgorithmConfig& c) { return json(c.num_env_threads); });
  add("total_timesteps",
      integer("total_timesteps", &AlgorithmConfig::total_timesteps, 1,
              std::numeric_limits<int64_t>::max()),
      [](const AlgorithmConfig& c) { return json(c.total_timesteps); });
  add(
      "activation",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_string()) bad("activation", "must be a string", v);
        c.activation = v.get<std::string>();
      },
      [](const AlgorithmConfig& c) { return json(c.activation); });
  add(
      "hidden_sizes",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_array() || v.empty()) bad("hidden_sizes", "must be a non-empty array", v);
        std::vector<int64_t> sizes;
        for (const json& s : v) {
          if (!s.is_number_integer() || s.get<int64_t>() <= 0 ||
              (s.is_number_unsigned() && s.get<uint64_t>() > uint64_t{kMaxModelParameters}) ||
              s.get<int64_t>() > kMaxModelParameters) {
            bad("hidden_sizes",
                "must hold positive integers of at most " + std::to_string(kMaxModelParameters), v);
          }
          sizes.push_back(s.get<int64_t>());
        }
        c.hidden_sizes = sizes;
      },
      [](const AlgorithmConfig& c) { return json(c.hidden_sizes); });
  add(
      "normalize_observations",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_boolean()) bad("normalize_observations", "must be true or false", v);
        c.normalize_observations = v.get<bool>();
      },
      [](const AlgorithmConfig& c) { return json(c.normalize_observations); });
  add(
      "observation_clip",
      [bad](AlgorithmConfig& c, const json& v) {
        if (!v.is_number() || !(v.get<double>() > 0.0) || !(v.get<double>() <= 1e9)) {
          bad("observation_clip", "must be in (0.000000, 1000000000.000000]", v);
        }
        c.observation_clip = v.get<double>();
      },
      [](const AlgorithmConfig& c) { return json(c.observation_clip); });
  add(
      "seed",
      [bad](AlgorithmConfig& c, const json& v) {
        // A JSON text's 1 is unsigned to nlohmann_json, a C++ int's (config["seed"] = 1) is
        // signed: both are seeds; -1 and 1.5 are not.
        const bool non_negative_integer =
            v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
        if (!non_negative_integer) bad("seed", "must be a non-negative integer", v);
        c.seed = v.get<uint64_t>();
      },
      [](const AlgorithmConfig& c) { return json(c.seed); });
  add(
      "non_finite",
      [bad](AlgorithmConfig& c, const json& v) {
        if (v == "error") {
          c.non_finite = NonFiniteHandling::kError;
        } else if (v == "skip") {
          c.non_finite = NonFiniteHandling::kSkip;
        } else {
          bad("non_finite", "must be \"error\" or \"skip\"", v);
        }
      },
      [](const AlgorithmConfig& c) {
        return json(c.non_finite == NonFiniteHandling::kSkip ? "skip" : "error");
      });
}

}  // namespace config_fields

void check_hidden_sizes(const std::string& label, const std::vector<int64_t>& hidden_sizes,
                        int64_t networks) {
  int64_t params = 0;
  for (size_t i = 0; i + 1 < hidden_sizes.size(); ++i) {
    int64_t layer = 0;
    if (__builtin_mul_overflow(hidden_sizes[i], hidden_sizes[i + 1], &layer) ||
        __builtin_mul_overflow(layer, networks, &layer) ||
        __builtin_add_overflow(params, layer, &params) || params > kMaxModelParameters) {
      throw Error(label + ": 'hidden_sizes' " + nlohmann::json(hidden_sizes).dump() +
                  " makes a model of more than " + std::to_string(kMaxModelParameters) +
                  " parameters");
    }
  }
}

}  // namespace cairn
