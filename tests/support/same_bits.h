// Bit-for-bit comparison of float arrays, the check behind every "bit-identical" test.
//
// One definition for every test file: the test files are compiled in unity batches, where a
// helper of the same name in another file's anonymous namespace would silently be the one
// called (a copy without the empty-array guard below once passed a null pointer to memcmp).
#pragma once

#include <cstring>
#include <span>

namespace cairn::testing_support {

// True when a and b hold the same number of floats with the same bits (so -0.0 != 0.0 and a
// NaN equals the same NaN). Empty arrays are equal; their data() may be null.
inline bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

}  // namespace cairn::testing_support
