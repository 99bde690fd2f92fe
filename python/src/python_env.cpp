#include "python_env.h"

#include <cmath>
#include <map>
#include <memory>
#include <span>
#include <utility>

#include <pybind11/numpy.h>

#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "space_arrays.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

constexpr const char* kIdPrefix = "python:";

// What a registered id makes. Lives as long as the process: the Python objects are never
// released, since the registry's factories (static in libcairn) may outlive the interpreter.
struct PythonEnvSource {
  py::object given;    // what the user passed (compared to find an id already taken)
  py::object creator;  // returns a new environment object
};
std::map<std::string, PythonEnvSource>& python_env_sources() {
  static auto* sources = new std::map<std::string, PythonEnvSource>();
  return *sources;
}

class PythonEnv final : public Env {
 public:
  // The GIL must be held.
  PythonEnv(std::string id, py::object env)
      : Env(space_from_python(env.attr("observation_space"), id + " observation_space"),
            space_from_python(env.attr("action_space"), id + " action_space")),
        id_(std::move(id)),
        env_(std::move(env)),
        reset_(env_.attr("reset")),
        step_(env_.attr("step")) {}

  ~PythonEnv() override {
    py::gil_scoped_acquire gil;
    step_ = py::object();
    reset_ = py::object();
    env_ = py::object();
  }

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override {
    py::gil_scoped_acquire gil;
    py::object reply =
        call("reset()", [&] { return seed ? reset_(py::arg("seed") = *seed) : reset_(); });
    py::tuple values = reply_tuple(reply, "reset()", 2, "(observation, info)");
    write_observation(values[0], obs, "reset()");
  }

  StepResult do_step(ActionRef action, std::span<float> obs) override {
    py::gil_scoped_acquire gil;
    py::object act;
    if (action_space().kind() == SpaceKind::discrete) {
      act = py::int_(action.discrete[0]);
    } else if (action_space().is_integer()) {
      // A new array per step: the environment may keep the one it was given.
      py::array_t<int64_t> a(value_shape(action_space()));
      std::copy(action.discrete.begin(), action.discrete.end(), a.mutable_data());
      act = std::move(a);
    } else {
      py::array_t<float> a(value_shape(action_space()));
      std::copy(action.continuous.begin(), action.continuous.end(), a.mutable_data());
      act = std::move(a);
    }
    py::object reply = call("step()", [&] { return step_(act); });
    py::tuple values =
        reply_tuple(reply, "step()", 5, "(observation, reward, terminated, truncated, info)");
    write_observation(values[0], obs, "step()");
    StepResult result;
    try {
      result.reward = py::float_(values[1]).cast<double>();
    } catch (const py::error_already_set&) {
      throw Error(id_ + ": step() returned a reward of type " + type_name(values[1]) +
                  "; expected a number");
    }
    result.terminated = truth(values[2], "terminated");
    result.truncated = truth(values[3], "truncated");
    return result;
  }

 private:
  static std::string type_name(py::handle value) {
    return py::str(py::type::of(value).attr("__name__")).cast<std::string>();
  }

  template <typename Call>
  py::object call(const char* method, Call&& f) {
    try {
      return f();
    } catch (py::error_already_set& e) {
      throw Error(id_ + ": the environment's " + method + " raised " + e.what());
    }
  }

  py::tuple reply_tuple(const py::object& reply, const char* method, size_t n,
                        const char* form) const {
    if (!py::isinstance<py::tuple>(reply) || py::len(reply) != n) {
      const std::string got = py::isinstance<py::tuple>(reply)
                                  ? std::to_string(py::len(reply)) + " values"
                                  : "a " + type_name(reply);
      throw Error(id_ + ": " + method + " returned " + got + "; the Gymnasium API returns " + form);
    }
    return py::reinterpret_borrow<py::tuple>(reply);
  }

  void write_observation(py::handle value, std::span<float> obs, const char* method) const {
    py::array_t<float, py::array::c_style | py::array::forcecast> a;
    try {
      a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(value);
    } catch (const py::error_already_set&) {
      a = {};
    }
    if (!a) {
      throw Error(id_ + ": " + method + " returned an observation of type " + type_name(value) +
                  " that is not an array of numbers");
    }
    if (static_cast<size_t>(a.size()) != obs.size()) {
      throw Error(id_ + ": " + method + " returned an observation with " +
                  std::to_string(a.size()) + " elements; observation_space has " +
                  std::to_string(obs.size()));
    }
    std::copy(a.data(), a.data() + a.size(), obs.begin());
  }

  bool truth(py::handle value, const char* what) const {
    const int t = PyObject_IsTrue(value.ptr());
    if (t < 0) {
      PyErr_Clear();
      throw Error(id_ + ": step() returned a '" + what + "' of type " + type_name(value) +
                  " that is neither true nor false");
    }
    return t == 1;
  }

  std::string id_;
  py::object env_, reset_, step_;
};

// The name of an environment object: Gymnasium's spec.id when it has one, else its class's.
std::string source_name(const py::object& env) {
  if (py::hasattr(env, "spec")) {
    py::object spec = env.attr("spec");
    if (!spec.is_none() && py::hasattr(spec, "id")) return py::str(spec.attr("id"));
  }
  return py::str(py::type::of(env).attr("__name__"));
}

// A new environment object from `creator`, checked to have Gymnasium's API. `who` names it
// in errors.
py::object new_env_object(const py::object& creator, const std::string& who) {
  py::object env;
  try {
    env = creator();
  } catch (py::error_already_set& e) {
    throw Error(who + ": making the environment raised " + e.what());
  }
  for (const char* name : {"reset", "step", "observation_space", "action_space"}) {
    if (!py::hasattr(env, name)) {
      throw Error(who + ": the environment object (" + py::repr(env).cast<std::string>() +
                  ") has no '" + name +
                  "'; cairn takes objects with Gymnasium's API (reset, step, observation_space, "
                  "action_space)");
    }
  }
  return env;
}

std::unique_ptr<Env> make_python_env(const std::string& id, EnvOptions& options) {
  options.finish();
  py::gil_scoped_acquire gil;
  const auto found = python_env_sources().find(id);
  if (found == python_env_sources().end()) {
    throw Error(id +
                " is a Python environment that this process has not been given (pass "
                "the environment object to cairn again)");
  }
  py::object env = new_env_object(found->second.creator, id);
  return std::make_unique<PythonEnv>(id, std::move(env));
}

}  // namespace

bool is_python_env_id(const std::string& id) {
  return id.rfind(kIdPrefix, 0) == 0;
}

std::string register_python_env(py::object env, const std::optional<std::string>& id) {
  PythonEnvSource source;
  source.given = env;
  // A class is a function making environments, though it has step and reset too.
  if (!py::isinstance<py::type>(env) && py::hasattr(env, "step") && py::hasattr(env, "reset")) {
    py::object deepcopy = py::module_::import("copy").attr("deepcopy");
    py::object original = env;
    source.creator = py::cpp_function([deepcopy, original]() {
      try {
        return deepcopy(original);
      } catch (py::error_already_set& e) {
        throw Error(std::string("copy.deepcopy of the environment object raised ") + e.what() +
                    " (pass a function that makes the environment instead)");
      }
    });
  } else if (PyCallable_Check(env.ptr())) {
    source.creator = env;
  } else {
    throw Error(
        "env must be an environment id, an object with Gymnasium's API (reset, step, "
        "observation_space, action_space) or a function returning one; got " +
        py::repr(env).cast<std::string>());
  }

  // One environment made now: a wrong object is refused here rather than in train(), and its
  // name (spec.id or class) names the id.
  py::object first = new_env_object(source.creator, "the Python environment");
  auto& sources = python_env_sources();
  std::string full;
  if (id) {
    full = is_python_env_id(*id) ? *id : kIdPrefix + *id;
  } else {
    const std::string base = kIdPrefix + source_name(first);
    full = base;
    for (int n = 2;; ++n) {
      const auto taken = sources.find(full);
      if (taken == sources.end() || taken->second.given.is(env)) break;
      full = base + "#" + std::to_string(n);
    }
  }
  PythonEnv check(full, std::move(first));  // its spaces must be ones cairn takes
  const bool registered = is_registered(full);
  sources[full] = std::move(source);
  if (!registered) {
    register_env(
        EnvSpec{.id = full,
                .factory = [full](EnvOptions& options) { return make_python_env(full, options); },
                .description = "an environment written in Python"});
  }
  return full;
}

}  // namespace cairn::python
