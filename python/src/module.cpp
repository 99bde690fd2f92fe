// The compiled part of the Python package `cairn` (cairn/_cairn): policies, algorithms and
// Python environments. cairn/__init__.py re-exports it; cairn.checkpoint_reader and
// cairn.spaces work without it.
#include <pybind11/pybind11.h>

#include "algorithm_binding.h"
#include "cairn/error.h"
#include "policy_handle.h"

namespace py = pybind11;

PYBIND11_MODULE(_cairn, m) {
  m.doc() = "cairn's C++ engine: policies, algorithms and Python environments";
  m.attr("__version__") = CAIRN_VERSION_STRING;
  // cairn::Error carries the message naming the file, field or argument.
  py::register_exception<cairn::Error>(m, "Error", PyExc_RuntimeError);
  cairn::python::bind_policy(m);
  cairn::python::bind_algorithms(m);
}
