// JSON values <-> Python objects, for configs (dicts in) and results (dicts out).
//
// Python to JSON accepts dict (string keys), list, tuple, str, bool, int, float, None,
// NumPy scalars and arrays (as their .item() / .tolist()); anything else throws
// py::type_error naming the path of the value ("config['model']['hidden'][2]: ...").
// JSON to Python gives dict, list, str, bool, int, float and None. The GIL must be held.
#pragma once

#include <string>

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace cairn::python {

nlohmann::json to_json(pybind11::handle value, const std::string& where);
pybind11::object to_python(const nlohmann::json& value);

}  // namespace cairn::python
