// Environments written in Python: a Gymnasium-API object stepped by cairn's algorithms.
//
// The object needs reset(seed=None) -> (obs, info), step(action) -> (obs, reward,
// terminated, truncated, info), and observation_space / action_space with Gymnasium's
// attributes (space_arrays.h). A real gymnasium.Env works, and so does any object with the
// same methods. Discrete actions are passed as Python ints, MultiDiscrete as int64 arrays and
// Box actions as float32 arrays of the space's shape.
//
// register_python_env() registers it in cairn's environment registry under an id
// "python:<name>", so that algorithms make() it like a built-in environment (one copy per
// training environment, another for evaluate()). A Python environment cannot be saved in a
// checkpoint: its state is not exposed (has_state() is false), so a resumed run restarts its
// episodes, and resuming needs the environment passed again.
//
// Threads and the GIL: cairn calls the environment from whichever thread steps it, taking
// the GIL for each reset() and step() and for nothing else. Python exceptions raised by the
// environment become cairn::Error naming the environment, the method and the exception
// (with its traceback); a reply of the wrong form (not five values, an observation of the
// wrong size, a reward that is not a number) is a cairn::Error naming what is wrong.
#pragma once

#include <optional>
#include <string>

#include <pybind11/pybind11.h>

namespace cairn::python {

// Registers `env` (a Gymnasium-API object, copied with copy.deepcopy for each environment
// cairn makes, or a callable returning a new one) and returns its id: "python:" + `id` when
// given, else + the object's spec.id or its class's (or function's) name; a different object
// under a name already taken gets "#2", "#3", ... An id that is given replaces what it named
// (resuming a checkpoint registers the environment under the id the checkpoint names).
// Checks that one environment can be made and that its spaces are ones cairn takes; throws
// cairn::Error otherwise. The GIL must be held.
std::string register_python_env(pybind11::object env, const std::optional<std::string>& id);

// True for ids register_python_env gives ("python:...").
bool is_python_env_id(const std::string& id);

}  // namespace cairn::python
