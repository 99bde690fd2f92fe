#include "space_arrays.h"

#include <algorithm>
#include <string>

#include "cairn/error.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

std::string type_name(py::handle value) {
  return py::str(py::type::of(value).attr("__name__")).cast<std::string>();
}

// `value` as an array whose dtype holds real numbers (bool, integers, floats), converted
// to C-contiguous float32 unless it already is.
py::array float32_array(py::handle value, const char* what) {
  if (py::isinstance<py::array_t<float, py::array::c_style>>(value)) {
    return py::reinterpret_borrow<py::array>(value);
  }
  py::array raw;
  try {
    raw = py::array::ensure(value);
  } catch (const py::error_already_set&) {
    raw = py::array();
  }
  if (!raw) {
    throw py::type_error(std::string(what) + " of type " + type_name(value) +
                         " is not an array of numbers");
  }
  const char kind = raw.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    throw py::type_error(std::string(what) + " has dtype " +
                         py::str(raw.dtype()).cast<std::string>() +
                         "; expected real numbers (float32 is read without a copy)");
  }
  return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(raw);
}

}  // namespace

std::vector<ssize_t> value_shape(const Space& space) {
  switch (space.kind()) {
    case SpaceKind::box:
      return {space.shape().begin(), space.shape().end()};
    case SpaceKind::discrete:
      return {};
    case SpaceKind::multi_discrete:
      return {static_cast<ssize_t>(space.size())};
  }
  return {};
}

std::string shape_text(std::span<const ssize_t> shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += shape[i] < 0 ? std::string("n") : std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

FloatBatch float_batch(const Space& space, py::handle value, const char* what) {
  FloatBatch out;
  out.array = float32_array(value, what);
  const std::vector<ssize_t> one = value_shape(space);
  const auto ndim = static_cast<size_t>(out.array.ndim());
  const std::span<const ssize_t> shape(out.array.shape(), ndim);
  const bool single = ndim == one.size() && std::equal(one.begin(), one.end(), shape.begin());
  const bool batch = ndim == one.size() + 1 &&
                     std::equal(one.begin(), one.end(), shape.begin() + 1) && shape[0] > 0;
  if (!single && !batch) {
    std::vector<ssize_t> batched{-1};
    batched.insert(batched.end(), one.begin(), one.end());
    throw py::value_error(std::string(what) + " has shape " + shape_text(shape) +
                          "; the space's values have shape " + shape_text(one) +
                          ": pass one of shape " + shape_text(one) + " or a batch of shape " +
                          shape_text(batched) + " with n >= 1");
  }
  out.single = single;
  out.rows = single ? 1 : static_cast<size_t>(shape[0]);
  out.values = {static_cast<const float*>(out.array.data()), out.rows * space.size()};
  return out;
}

FloatBatch float_rows(py::handle value, size_t rows, size_t columns, bool single,
                      const char* what) {
  FloatBatch out;
  out.array = float32_array(value, what);
  const auto ndim = static_cast<size_t>(out.array.ndim());
  const std::span<const ssize_t> shape(out.array.shape(), ndim);
  const auto r = static_cast<ssize_t>(rows), c = static_cast<ssize_t>(columns);
  const bool fits =
      (ndim == 2 && shape[0] == r && shape[1] == c) || (single && ndim == 1 && shape[0] == c);
  if (!fits) {
    const std::vector<ssize_t> expected =
        single ? std::vector<ssize_t>{c} : std::vector<ssize_t>{r, c};
    throw py::value_error(std::string(what) + " has shape " + shape_text(shape) + "; expected " +
                          shape_text(expected));
  }
  out.single = ndim == 1;
  out.rows = rows;
  out.values = {static_cast<const float*>(out.array.data()), rows * columns};
  return out;
}

py::array new_value_array(const Space& space, size_t rows, bool single) {
  std::vector<ssize_t> shape = value_shape(space);
  if (!single) shape.insert(shape.begin(), static_cast<ssize_t>(rows));
  if (space.is_integer()) return py::array_t<int64_t>(shape);
  return py::array_t<float>(shape);
}

py::object space_to_python(const Space& space) {
  const py::module_ spaces = py::module_::import("cairn.spaces");
  const std::vector<ssize_t> shape = value_shape(space);
  switch (space.kind()) {
    case SpaceKind::box: {
      py::array_t<float> low(shape), high(shape);
      std::copy(space.low().begin(), space.low().end(), low.mutable_data());
      std::copy(space.high().begin(), space.high().end(), high.mutable_data());
      return spaces.attr("Box")(low, high);
    }
    case SpaceKind::discrete:
      return spaces.attr("Discrete")(space.nvec()[0], space.start()[0]);
    case SpaceKind::multi_discrete: {
      py::array_t<int64_t> nvec(shape), start(shape);
      std::copy(space.nvec().begin(), space.nvec().end(), nvec.mutable_data());
      std::copy(space.start().begin(), space.start().end(), start.mutable_data());
      return spaces.attr("MultiDiscrete")(nvec, start);
    }
  }
  throw Error("unknown space kind");
}

Space space_from_python(py::handle space, const std::string& where) {
  try {
    if (py::hasattr(space, "nvec")) {
      const auto nvec = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
          space.attr("nvec"));
      std::vector<int64_t> n(nvec.data(), nvec.data() + nvec.size()), start;
      if (py::hasattr(space, "start")) {
        const auto s = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
            space.attr("start"));
        start.assign(s.data(), s.data() + s.size());
      }
      return Space::multi_discrete(std::move(n), std::move(start));
    }
    if (py::hasattr(space, "n") && !py::hasattr(space, "low")) {
      const int64_t start =
          py::hasattr(space, "start") ? py::int_(space.attr("start")).cast<int64_t>() : 0;
      return Space::discrete(py::int_(space.attr("n")).cast<int64_t>(), start);
    }
    if (py::hasattr(space, "low") && py::hasattr(space, "high") && py::hasattr(space, "shape")) {
      std::vector<int64_t> shape;
      for (py::handle d : space.attr("shape"))
        shape.push_back(py::int_(py::reinterpret_borrow<py::object>(d)).cast<int64_t>());
      const py::module_ np = py::module_::import("numpy");
      using Floats = py::array_t<float, py::array::c_style | py::array::forcecast>;
      const auto low =
          Floats::ensure(np.attr("broadcast_to")(space.attr("low"), space.attr("shape")));
      const auto high =
          Floats::ensure(np.attr("broadcast_to")(space.attr("high"), space.attr("shape")));
      return Space::box(std::vector<float>(low.data(), low.data() + low.size()),
                        std::vector<float>(high.data(), high.data() + high.size()),
                        std::move(shape));
    }
  } catch (const py::error_already_set& e) {
    throw Error(where + ": cannot read the space " + py::repr(space).cast<std::string>() + ": " +
                e.what());
  } catch (const py::cast_error& e) {
    throw Error(where + ": cannot read the space " + py::repr(space).cast<std::string>() + ": " +
                e.what());
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  throw Error(where + " is " + py::repr(space).cast<std::string>() +
              ": cairn takes Box (low, high, shape), Discrete (n, start) and MultiDiscrete "
              "(nvec, start) spaces");
}

}  // namespace cairn::python
