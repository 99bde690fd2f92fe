#include "algorithm_binding.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "cairn/algorithms/algorithm.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/presets.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "json_values.h"
#include "policy_handle.h"
#include "python_env.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace cairn::python {
namespace {

class AlgorithmHandle {
 public:
  explicit AlgorithmHandle(std::unique_ptr<Algorithm> algorithm)
      : algorithm_(std::move(algorithm)) {}
  Algorithm& operator*() { return *algorithm_; }
  Algorithm* operator->() { return algorithm_.get(); }

 private:
  std::unique_ptr<Algorithm> algorithm_;
};

// The id the config names for `env`: a built-in id as given, a Python environment registered.
std::string env_id_of(const py::object& env) {
  if (py::isinstance<py::str>(env)) return env.cast<std::string>();
  return register_python_env(env, std::nullopt);
}

// A fresh algorithm: `preset` (an environment id) or the defaults, the keys of `config` over
// them, the environment of `env`.
std::unique_ptr<Algorithm> create(const std::string& name, const py::object& config,
                                  const py::object& env, const std::optional<std::string>& preset) {
  const AlgorithmInfo& info = algorithm_info(name);
  nlohmann::json json = preset ? preset_config(info.name, *preset) : info.default_config();
  if (!config.is_none()) {
    if (!py::isinstance<py::dict>(config)) {
      throw py::type_error("config must be a dict of " + info.label + "'s settings, got " +
                           py::repr(config).cast<std::string>());
    }
    const nlohmann::json overrides = to_json(config, "config");
    for (auto it = overrides.begin(); it != overrides.end(); ++it) json[it.key()] = *it;
  }
  if (!env.is_none()) json["env_id"] = env_id_of(env);
  json = info.normalize_config(json);
  py::gil_scoped_release release;
  return info.create(json);
}

// An algorithm restored from a checkpoint; `env` is the Python environment it trained on
// (which a checkpoint cannot hold), or None for a built-in one.
std::unique_ptr<Algorithm> restore(const std::optional<std::string>& name, const fs::path& path,
                                   const py::object& env) {
  nlohmann::json manifest;
  {
    py::gil_scoped_release release;
    manifest = verify_algorithm_checkpoint(path);
  }
  const std::string algorithm = manifest.at("algorithm").get<std::string>();
  if (name && algorithm_info(algorithm).name != algorithm_info(*name).name) {
    throw Error(path.string() + " is a checkpoint of " + algorithm_info(algorithm).label +
                ", not of " + algorithm_info(*name).label + " (cairn.from_checkpoint reads any)");
  }
  const std::string env_id = manifest.at("config").at("env_id").get<std::string>();
  if (is_python_env_id(env_id)) {
    if (env.is_none()) {
      throw Error(path.string() + " trained on the Python environment '" + env_id +
                  "', which a checkpoint cannot hold: pass the environment again, as "
                  "from_checkpoint(path, env=...). Restoring only the policy needs no "
                  "environment: cairn.load_policy(path).");
    }
    register_python_env(env, env_id);
    PyErr_WarnEx(PyExc_UserWarning,
                 ("the state of the Python environment '" + env_id +
                  "' is not in the checkpoint: its episodes restart, so the resumed run is not "
                  "bit-identical to one that never stopped (built-in environments resume "
                  "exactly)")
                     .c_str(),
                 1);
  } else if (!env.is_none()) {
    throw Error(path.string() + " trained on the built-in environment '" + env_id +
                "'; env is only for checkpoints of runs on Python environments");
  }
  py::gil_scoped_release release;
  return restore_algorithm(path);
}

StopConditions stop_conditions(const py::object& stop, const py::object& total_timesteps,
                               const Algorithm& algorithm) {
  StopConditions s;
  if (!stop.is_none()) {
    if (!py::isinstance<py::dict>(stop)) {
      throw py::type_error("stop must be a dict such as {'timesteps': 100000}");
    }
    for (const auto& [key, value] : stop.cast<py::dict>()) {
      const std::string k = py::str(key);
      if (k == "timesteps") {
        s.timesteps = value.cast<int64_t>();
      } else if (k == "iterations") {
        s.iterations = value.cast<int64_t>();
      } else if (k == "seconds") {
        s.seconds = value.cast<double>();
      } else if (k == "mean_return") {
        s.mean_return = value.cast<double>();
      } else {
        throw py::value_error("stop: unknown condition '" + k +
                              "' (the conditions are timesteps, iterations, seconds and "
                              "mean_return)");
      }
    }
  }
  if (!total_timesteps.is_none()) s.timesteps = total_timesteps.cast<int64_t>();
  if (!s.timesteps && !s.iterations && !s.seconds && !s.mean_return) {
    // As `cairn train`: the config's horizon.
    s.timesteps = algorithm.config_json().at("total_timesteps").get<int64_t>();
  }
  return s;
}

py::list learn(AlgorithmHandle& handle, const py::object& stop, const py::object& callback,
               const py::object& total_timesteps) {
  const StopConditions conditions = stop_conditions(stop, total_timesteps, *handle);
  std::vector<TrainResult> results;
  {
    py::gil_scoped_release release;
    results = handle->learn(conditions, [&](const TrainResult& r) {
      py::gil_scoped_acquire gil;
      // Ctrl-C reaches Python code only: check for it after each iteration.
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (callback.is_none()) return true;
      const py::object verdict = callback(to_python(r.to_json()));
      return !(py::isinstance<py::bool_>(verdict) && !verdict.cast<bool>());
    });
  }
  py::list out;
  for (const TrainResult& r : results) out.append(to_python(r.to_json()));
  return out;
}

}  // namespace

void bind_algorithms(py::module_& m) {
  py::class_<AlgorithmHandle>(m, "Algorithm",
                              "A training algorithm (PPO, SAC, TD3, DQN, multi-agent PPO) driven from Python.")
      .def(py::init([](const std::optional<std::string>& name, const py::object& config,
                       const py::object& env, const std::optional<std::string>& preset,
                       const std::optional<fs::path>& checkpoint) {
             if (checkpoint) {
               if (!config.is_none() || preset) {
                 throw py::value_error(
                     "a restored algorithm takes its config from the "
                     "checkpoint; config and preset must be None");
               }
               return AlgorithmHandle(restore(name, *checkpoint, env));
             }
             if (!name) throw py::value_error("name the algorithm ('ppo', 'sac', 'td3', 'dqn')");
             return AlgorithmHandle(create(*name, config, env, preset));
           }),
           py::arg("name") = py::none(), py::arg("config") = py::none(),
           py::arg("env") = py::none(), py::arg("preset") = py::none(),
           py::arg("checkpoint") = py::none())
      .def(
          "train",
          [](AlgorithmHandle& h) {
            nlohmann::json result;
            {
              py::gil_scoped_release release;
              result = h->train().to_json();
            }
            return to_python(result);
          },
          "One iteration; returns its metrics as a dict.")
      .def("learn", &learn, py::arg("stop") = py::none(), py::arg("callback") = py::none(),
           py::arg("total_timesteps") = py::none(),
           R"(Trains until a stop condition is met: stop={'timesteps': ..., 'iterations': ...,
'seconds': ..., 'mean_return': ...} (the first met stops), or total_timesteps, or
else the config's total_timesteps. callback(result) runs after every iteration and
stops training by returning False. Returns every iteration's metrics.)")
      .def(
          "evaluate",
          [](AlgorithmHandle& h, int64_t episodes, bool deterministic, uint64_t seed) {
            nlohmann::json result;
            {
              py::gil_scoped_release release;
              result = h->evaluate(episodes, deterministic, seed).to_json();
            }
            return to_python(result);
          },
          py::arg("episodes") = 10, py::arg("deterministic") = true, py::arg("seed") = 1000000,
          "Episodes of the policy on a fresh environment (episode i reset with seed + i).")
      .def(
          "save_checkpoint",
          [](AlgorithmHandle& h, const fs::path& path, bool overwrite) {
            py::gil_scoped_release release;
            h->save_checkpoint(path, overwrite);
            return path.string();
          },
          py::arg("path"), py::arg("overwrite") = false,
          "Writes an algorithm checkpoint folder atomically; from_checkpoint resumes it and "
          "load_policy restores its policy alone.")
      .def_property_readonly(
          "policy",
          // keep_alive on the getter itself: a property's extra arguments do not reach it.
          py::cpp_function([](AlgorithmHandle& h) { return PolicyHandle(h->policy(), 0); },
                           py::keep_alive<0, 1>()),
          "The policy that acts (it keeps the algorithm alive).")
      .def_property_readonly(
          "policy_ids", [](AlgorithmHandle& h) { return h->policy_ids(); },
          "The ids of the algorithm's policies (['default_policy'] unless it trains several).")
      .def(
          "get_policy",
          [](AlgorithmHandle& h, const std::string& policy_id) {
            return PolicyHandle(h->named_policy(policy_id), 0);
          },
          py::arg("policy_id"), py::keep_alive<0, 1>(),
          "The policy `policy_id` (RLlib's get_policy; it keeps the algorithm alive). Raises "
          "cairn.Error listing the ids when there is no such policy.")
      .def_property_readonly("config",
                             [](AlgorithmHandle& h) { return to_python(h->config_json()); })
      .def_property_readonly("name", [](AlgorithmHandle& h) { return h->name(); })
      .def_property_readonly("env_id", [](AlgorithmHandle& h) { return h->env_id(); })
      .def_property_readonly("iteration", [](AlgorithmHandle& h) { return h->iteration(); })
      .def_property_readonly("timesteps", [](AlgorithmHandle& h) { return h->timesteps(); })
      .def_property_readonly("episodes", [](AlgorithmHandle& h) { return h->episodes(); })
      .def_property_readonly(
          "last_result", [](AlgorithmHandle& h) { return to_python(h->last_result().to_json()); })
      .def("__repr__", [](AlgorithmHandle& h) {
        return "<cairn." + h->label() + " on " + h->env_id() + ", iteration " +
               std::to_string(h->iteration()) + ", " + std::to_string(h->timesteps()) + " steps>";
      });

  m.def(
      "verify_checkpoint",
      [](const fs::path& path) {
        nlohmann::json manifest;
        {
          py::gil_scoped_release release;
          manifest = verify_algorithm_checkpoint(path);
        }
        return to_python(manifest);
      },
      py::arg("path"),
      "Verifies an algorithm checkpoint (files, checksums, config, state) without restoring "
      "it; returns its manifest.");
  m.def(
      "default_config",
      [](const std::string& algorithm, const std::optional<std::string>& preset) {
        const AlgorithmInfo& info = algorithm_info(algorithm);
        return to_python(preset ? preset_config(info.name, *preset) : info.default_config());
      },
      py::arg("algorithm"), py::arg("preset") = py::none(),
      "An algorithm's default config, or its config for an environment's preset.");
  m.def(
      "preset_ids",
      [](const std::string& algorithm) { return preset_env_ids(algorithm_info(algorithm).name); },
      py::arg("algorithm"), "Environment ids with a tuned preset for `algorithm`.");
  m.def("env_ids", &registered_env_ids, "The registered environment ids.");
  m.def("algorithm_names", &algorithm_names, "The registered algorithms.");
}

}  // namespace cairn::python
