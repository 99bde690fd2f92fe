#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/nn/model_spec.h"
#include "cairn/policy/policy_head.h"
#include "json_values.h"
#include "policy_handle.h"
#include "space_arrays.h"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace cairn::python {

PolicyHandle::PolicyHandle(std::unique_ptr<Policy> policy, fs::path folder, uint64_t seed)
    : owned_(std::move(policy)), policy_(owned_.get()), folder_(std::move(folder)), rng_(seed) {}

PolicyHandle::PolicyHandle(Policy& policy, uint64_t seed) : policy_(&policy), rng_(seed) {}

namespace {

// The output arrays of one call, and the spans the policy writes into.
struct ActionArrays {
  py::array actions;
  std::span<int64_t> ints;
  std::span<float> floats;
};

ActionArrays action_arrays(const Policy& policy, size_t rows, bool single) {
  ActionArrays out;
  out.actions = new_value_array(policy.action_space(), rows, single);
  const size_t n = rows * policy.action_size();
  if (policy.action_space().is_integer()) {
    out.ints = {static_cast<int64_t*>(out.actions.mutable_data()), n};
  } else {
    out.floats = {static_cast<float*>(out.actions.mutable_data()), n};
  }
  return out;
}

// Episode-start flags for `rows` rows: None gives `fallback` for every row; otherwise a
// scalar (one observation) or a 1-D array of `rows` truth values.
std::vector<uint8_t> episode_starts(py::handle value, size_t rows, bool fallback) {
  if (value.is_none()) return std::vector<uint8_t>(rows, fallback ? 1 : 0);
  const auto flags = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!flags || flags.ndim() > 1 || static_cast<size_t>(flags.size()) != rows) {
    throw py::value_error("episode_start must be one truth value per observation (" +
                          std::to_string(rows) + "), got " + py::repr(value).cast<std::string>());
  }
  std::vector<uint8_t> out(rows);
  for (size_t i = 0; i < rows; ++i) out[i] = flags.data()[i] != 0.0 ? 1 : 0;
  return out;
}

// Stable-Baselines3's predict: (actions, state). `explore` draws from the handle's generator.
py::tuple predict(PolicyHandle& handle, py::handle obs, py::handle state, py::handle episode_start,
                  bool explore) {
  Policy& policy = handle.policy();
  const FloatBatch o = float_batch(policy.observation_space(), obs, "observation");
  ActionArrays out = action_arrays(policy, o.rows, o.single);
  if (!policy.is_recurrent()) {
    if (!state.is_none()) {
      throw py::value_error(
          "state: this policy has no memory (it is feed-forward); pass "
          "state=None");
    }
    policy.compute_actions(o.values, explore, handle.rng(), out.ints, out.floats);
    return py::make_tuple(std::move(out.actions), py::none());
  }
  const size_t s = policy.state_size();
  py::array_t<float> state_out =
      o.single ? py::array_t<float>({static_cast<ssize_t>(s)})
               : py::array_t<float>({static_cast<ssize_t>(o.rows), static_cast<ssize_t>(s)});
  const std::span<float> state_out_values(state_out.mutable_data(), o.rows * s);
  // Without a state, every observation starts an episode (its state is the initial one).
  const std::vector<uint8_t> starts = episode_starts(episode_start, o.rows, state.is_none());
  if (state.is_none()) {
    const std::vector<float> initial = policy.initial_state(o.rows);
    policy.compute_actions(o.values, initial, starts, state_out_values, explore, handle.rng(),
                           out.ints, out.floats);
  } else {
    const FloatBatch in = float_rows(state, o.rows, s, o.single, "state");
    policy.compute_actions(o.values, in.values, starts, state_out_values, explore, handle.rng(),
                           out.ints, out.floats);
  }
  return py::make_tuple(std::move(out.actions), std::move(state_out));
}

// RLlib's compute_single_action: the action of one observation (a NumPy scalar for
// Discrete); with a state (or a recurrent policy), (action, state_out, {}).
py::object compute_single_action(PolicyHandle& handle, py::handle obs, py::handle state,
                                 bool explore) {
  const Policy& policy = handle.policy();
  const FloatBatch o = float_batch(policy.observation_space(), obs, "observation");
  if (!o.single) {
    throw py::value_error("compute_single_action takes one observation of shape " +
                          shape_text(value_shape(policy.observation_space())) +
                          "; use predict() for a batch");
  }
  py::tuple r = predict(handle, o.array, state, py::none(), explore);
  py::object action = r[0];
  if (policy.action_space().kind() == SpaceKind::discrete) action = action[py::tuple()];
  if (state.is_none() && !policy.is_recurrent()) return action;
  return py::make_tuple(action, r[1], py::dict());
}

py::object values(PolicyHandle& handle, py::handle obs) {
  Policy& policy = handle.policy();
  if (!policy.has_value()) {
    throw py::value_error("this policy has no value function (its head is " +
                          to_string(policy.head()) + "; only the stochastic head has one)");
  }
  if (policy.is_recurrent()) {
    throw py::value_error(
        "value() of a policy with memory needs its state; it is not "
        "available from Python yet");
  }
  const FloatBatch o = float_batch(policy.observation_space(), obs, "observation");
  py::array_t<float> out(static_cast<ssize_t>(o.rows));
  policy.values(o.values, {out.mutable_data(), o.rows});
  if (o.single) return py::float_(out.data()[0]);
  return out;
}

py::dict weights(PolicyHandle& handle) {
  const nn::Model<float>& model = handle.policy().model();
  py::dict out;
  for (const nn::TensorInfo& t : model.parameters()) {
    const std::vector<ssize_t> shape(t.shape.begin(), t.shape.end());
    py::array_t<float> a(shape);
    const std::span<const float> v = model.parameter(t.name);
    std::copy(v.begin(), v.end(), a.mutable_data());
    out[py::str(t.name)] = std::move(a);
  }
  return out;
}

template <typename T>
py::array_t<T> array_of(std::span<const T> values) {
  py::array_t<T> a(static_cast<ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), a.mutable_data());
  return a;
}

// The proof an export gets: the folder's recorded example when the policy came from one.
VerificationOptions verification_of(PolicyHandle& handle, size_t random_observations) {
  VerificationOptions v;
  if (!handle.folder().empty()) {
    v = recorded_example_verification(handle.folder(), handle.policy().is_recurrent());
  }
  v.num_random_observations = random_observations;
  return v;
}

// Runs `run(options)` (an exporter) with the GIL released, proven as verification_of says;
// returns the verification record.
template <typename Options, typename Run>
py::object proven_export(PolicyHandle& handle, Options options, size_t random_observations,
                         bool require_verified, Run&& run) {
  options.source_checkpoint = handle.folder().string();
  options.verification = verification_of(handle, random_observations);
  options.require_verification = require_verified;
  nlohmann::json record;
  {
    py::gil_scoped_release release;
    record = run(options).to_json();
  }
  return to_python(record);
}

std::string describe(PolicyHandle& handle) {
  const Policy& p = handle.policy();
  std::string text = "<cairn.Policy " + to_string(p.head()) + " " +
                     py::repr(space_to_python(p.observation_space())).cast<std::string>() + " -> " +
                     py::repr(space_to_python(p.action_space())).cast<std::string>();
  if (p.is_recurrent()) text += " with memory (" + std::to_string(p.state_size()) + " values)";
  if (!handle.folder().empty()) text += " from " + handle.folder().string();
  return text + ">";
}

}  // namespace

void bind_policy(py::module_& m) {
  py::class_<PolicyHandle>(m, "Policy",
                           "A trained policy: acts on NumPy observations, restores alone, exports.")
      .def(
          "predict",
          [](PolicyHandle& h, py::handle obs, py::handle state, py::handle episode_start,
             bool deterministic) { return predict(h, obs, state, episode_start, !deterministic); },
          py::arg("observation"), py::arg("state") = py::none(),
          py::arg("episode_start") = py::none(), py::arg("deterministic") = true,
          R"(Actions for one observation or a batch, as Stable-Baselines3's predict.

Returns (actions, state). state is None for a feed-forward policy; for a policy with
memory it is the state after this step, to pass back with the next observation (None
starts every episode afresh; episode_start marks rows whose episode starts here).
deterministic=False explores, drawing from the policy's own generator (seed of
load_policy).)")
      .def("compute_single_action", &compute_single_action, py::arg("observation"),
           py::arg("state") = py::none(), py::arg("explore") = false,
           "The action for one observation, as RLlib's compute_single_action; with a state "
           "(or memory), (action, state_out, {}).")
      .def("value", &values, py::arg("observation"),
           "The value estimate V(s) of one observation (a float) or a batch (an array).")
      .def(
          "initial_state",
          [](PolicyHandle& h, std::optional<size_t> batch) -> py::object {
            const Policy& p = h.policy();
            const std::vector<float> s = p.initial_state(batch.value_or(1));
            py::array_t<float> out = array_of<float>(s);
            if (batch)
              out =
                  out.reshape({static_cast<ssize_t>(*batch), static_cast<ssize_t>(p.state_size())});
            return out;
          },
          py::arg("batch") = py::none(),
          "The state at the start of an episode: shape (state_size,), or (batch, state_size).")
      .def(
          "seed", [](PolicyHandle& h, uint64_t seed) { h.rng() = Rng(seed); }, py::arg("seed"),
          "Re-seeds the generator that exploring actions draw from.")
      .def_property_readonly(
          "observation_space",
          [](PolicyHandle& h) { return space_to_python(h.policy().observation_space()); })
      .def_property_readonly(
          "action_space",
          [](PolicyHandle& h) { return space_to_python(h.policy().action_space()); })
      .def_property_readonly("is_recurrent",
                             [](PolicyHandle& h) { return h.policy().is_recurrent(); })
      .def_property_readonly("state_size", [](PolicyHandle& h) { return h.policy().state_size(); })
      .def_property_readonly("head", [](PolicyHandle& h) { return to_string(h.policy().head()); })
      .def_property_readonly("folder",
                             [](PolicyHandle& h) -> py::object {
                               if (h.folder().empty()) return py::none();
                               return py::str(h.folder().string());
                             })
      .def_property_readonly(
          "model_spec",
          [](PolicyHandle& h) { return to_python(h.policy().model().spec().to_json()); })
      .def_property_readonly(
          "options", [](PolicyHandle& h) { return to_python(h.policy().options().to_json()); })
      .def_property_readonly("weights", &weights,
                             "The model's parameters by name (copies, float32).")
      .def_property_readonly("log_std",
                             [](PolicyHandle& h) -> py::object {
                               if (h.policy().log_std().empty()) return py::none();
                               return array_of<float>(h.policy().log_std());
                             })
      .def_property_readonly(
          "observation_normalizer",
          [](PolicyHandle& h) -> py::object {
            const RunningMeanStd* s = h.policy().observation_statistics();
            if (s == nullptr) return py::none();
            py::dict d;
            d["mean"] = array_of<double>(s->mean());
            d["var"] = array_of<double>(s->var());
            d["count"] = s->count();
            return d;
          },
          "The observation statistics (mean, var, count) when the policy normalises, else None.")
      .def(
          "save",
          [](PolicyHandle& h, const fs::path& path, bool overwrite) {
            {
              py::gil_scoped_release release;
              h.policy().save(path, overwrite);
            }
            // Exports of this handle are proven with the example just recorded.
            h.set_folder(path);
          },
          py::arg("path"), py::arg("overwrite") = false,
          "Saves a standalone policy folder (atomically) that load_policy restores alone.")
      .def(
          "export_onnx",
          [](PolicyHandle& h, const fs::path& path, int opset, size_t random_observations,
             bool require_verified) {
            OnnxExportOptions o;
            o.opset = opset;
            return proven_export(h, o, random_observations, require_verified,
                                 [&](const OnnxExportOptions& options) {
                                   return export_onnx(h.policy(), path, options);
                                 });
          },
          py::arg("path"), py::arg("opset") = 17, py::arg("random_observations") = 64,
          py::arg("require_verified") = false,
          "Exports to ONNX and proves the file in ONNX Runtime against this policy (its "
          "recorded example, then fresh observations); returns the verification record.")
      .def(
          "export_c",
          [](PolicyHandle& h, const fs::path& folder, const std::string& name,
             size_t random_observations, bool require_verified) {
            CExportOptions o;
            o.base_name = name;
            return proven_export(h, o, random_observations, require_verified,
                                 [&](const CExportOptions& options) {
                                   fs::create_directories(folder);
                                   return export_c(h.policy(), folder, options);
                                 });
          },
          py::arg("folder"), py::arg("name") = "cairn_policy", py::arg("random_observations") = 64,
          py::arg("require_verified") = false,
          "Exports dependency-free C (<name>.h, <name>.c) into `folder`, compiles it and proves "
          "it against this policy; returns the verification record.")
      .def("__repr__", &describe);

  m.def(
      "load_policy",
      [](const fs::path& path, std::optional<std::string> policy_id, uint64_t seed) {
        PolicyRestoreOptions options;
        if (policy_id) options.policy_id = *policy_id;
        PolicyRestoreReport report;
        std::unique_ptr<Policy> policy;
        {
          py::gil_scoped_release release;
          policy = load_policy(path, options, &report);
        }
        return PolicyHandle(std::move(policy), report.folder, seed);
      },
      py::arg("path"), py::arg("policy_id") = py::none(), py::arg("seed") = 0,
      R"(Restores a policy alone: from a policy folder, an algorithm checkpoint or a run
folder (its latest checkpoint); policy_id picks one of a checkpoint's policies
(default "default_policy"). The recorded example is replayed and checked. seed seeds
the generator of exploring actions.)");
}

}  // namespace cairn::python
