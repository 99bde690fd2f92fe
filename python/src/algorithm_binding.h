// cairn.Algorithm (the base of cairn.PPO, SAC, TD3, DQN in cairn/__init__.py): training from
// Python with configs as dicts, on built-in environments or Gymnasium-API Python objects.
//
// The GIL is released while cairn trains, evaluates, saves and restores; it is taken back
// only to step a Python environment and to call a learn() callback.
#pragma once

#include <pybind11/pybind11.h>

namespace cairn::python {

// Defines cairn.Algorithm, cairn.verify_checkpoint, cairn.default_config, cairn.preset_ids
// and cairn.env_ids in `m`.
void bind_algorithms(pybind11::module_& m);

}  // namespace cairn::python
