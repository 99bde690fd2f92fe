#include "json_values.h"

#include <cstdint>
#include <string>

#include <pybind11/numpy.h>

namespace py = pybind11;

namespace cairn::python {

nlohmann::json to_json(py::handle value, const std::string& where) {
  if (value.is_none()) return nullptr;
  // bool before int: Python's bool is an int.
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>();
  if (py::isinstance<py::int_>(value)) return value.cast<int64_t>();
  if (py::isinstance<py::float_>(value)) return value.cast<double>();
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::isinstance<py::dict>(value)) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key)) {
        throw py::type_error(where + ": keys must be strings, not " +
                             std::string(py::str(py::type::of(key).attr("__name__"))));
      }
      const std::string name = key.cast<std::string>();
      out[name] = to_json(item, where + "['" + name + "']");
    }
    return out;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    nlohmann::json out = nlohmann::json::array();
    size_t i = 0;
    for (py::handle item : value) {
      out.push_back(to_json(item, where + "[" + std::to_string(i++) + "]"));
    }
    return out;
  }
  // NumPy: arrays as nested lists, scalars (np.float32, np.int64, np.bool_) as Python values.
  if (py::isinstance<py::array>(value)) return to_json(value.attr("tolist")(), where);
  if (py::hasattr(value, "item") && py::hasattr(value, "dtype")) {
    return to_json(value.attr("item")(), where);
  }
  throw py::type_error(where + ": a value of type " +
                       std::string(py::str(py::type::of(value).attr("__name__"))) +
                       " cannot be written to a config (use dicts, lists, strings, numbers, "
                       "booleans and None)");
}

py::object to_python(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(value.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(value.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const nlohmann::json& item : value) out.append(to_python(item));
      return out;
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [key, item] : value.items()) out[py::str(key)] = to_python(item);
      return out;
    }
    case nlohmann::json::value_t::binary:
      break;
  }
  throw py::type_error("a binary JSON value has no Python form");
}

}  // namespace cairn::python
