// NumPy arrays <-> a Space's flat buffers, and Spaces <-> Python space objects.
//
// One value of a space has the shape value_shape(space): a Box's shape, () for Discrete,
// (k,) for MultiDiscrete with k elements. An array of that shape is one value; an array
// with one more leading axis is a batch of values. Errors are Python exceptions (ValueError
// for shapes, TypeError for dtypes) naming the argument and the expected shape. The GIL
// must be held for every function here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "cairn/space/space.h"

namespace cairn::python {

std::vector<ssize_t> value_shape(const Space& space);
// "(4,)", "(n, 4)": shapes in messages as NumPy prints them.
std::string shape_text(std::span<const ssize_t> shape);

// Values of `space` read from `value` as float32 (integer spaces' values as exact floats).
// A C-contiguous float32 array is read in place, without a copy; other real-valued arrays
// (floats of other widths, integers, booleans), lists and scalars are converted. `what`
// names the argument in errors ("observation").
struct FloatBatch {
  pybind11::array array;  // keeps `values` alive
  std::span<const float> values;
  size_t rows = 0;
  bool single = false;  // one value, without a batch axis
};
FloatBatch float_batch(const Space& space, pybind11::handle value, const char* what);

// A float32 array with `columns` values per row, read in place when it is C-contiguous
// float32. `rows` is the expected number of rows; shape (columns,) is accepted for rows == 1
// when `single`. Used for recurrent state.
FloatBatch float_rows(pybind11::handle value, size_t rows, size_t columns, bool single,
                      const char* what);

// A new, uninitialised array for `rows` values of `space`: int64 for integer spaces,
// float32 for Box; shaped value_shape(space) when `single`, else (rows, *value_shape).
pybind11::array new_value_array(const Space& space, size_t rows, bool single);

// The Python form of a space: cairn.spaces.Box / Discrete / MultiDiscrete, which have
// Gymnasium's attributes (low, high, shape, dtype; n, start; nvec, start).
pybind11::object space_to_python(const Space& space);
// A Space from a Gymnasium space or any object with the same attributes: Box (low, high,
// shape), Discrete (n, optional start), MultiDiscrete (nvec, optional start). Throws
// cairn::Error naming `where` ("python:MyEnv observation_space") for anything else.
Space space_from_python(pybind11::handle space, const std::string& where);

}  // namespace cairn::python
