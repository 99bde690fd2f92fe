// np.sum of a contiguous float32 or float64 array, in NumPy's (1.x) order of additions, so
// that rewards computed from sums (control costs, contact costs, centres of mass) equal
// Gymnasium's to the last bit. Internal to src/env/mujoco (and its tests).
//
// NumPy reduces a contiguous array by adding its pairwise sum to the reduction's identity
// 0: fewer than 8 elements are summed in order; up to 128 elements go to 8 partial sums
// (element i to partial i mod 8, for the elements up to the last multiple of 8), which are
// combined as ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7)), then the remaining elements
// are added in order; longer arrays split at a multiple of 8 near the middle and add the
// two halves' sums. T is the array's type: float32 arrays sum in float32.
//
// Pure, thread-safe, not allocating. Relies on the project's -ffp-contract=off (no fused
// multiply-adds) for the squares.
#pragma once

#include <cstddef>
#include <span>

namespace cairn::mujoco_detail {

// NumPy's pairwise_sum of x[0], ..., x[n-1], each element taken through `term` (the
// identity, or a square for np.sum(np.square(x))).
template <typename T, typename Term>
T numpy_pairwise_sum(const T* x, size_t n, Term term) {
  if (n < 8) {
    T sum = T(0);
    for (size_t i = 0; i < n; ++i) sum += term(x[i]);
    return sum;
  }
  if (n <= 128) {
    T p[8];
    for (size_t j = 0; j < 8; ++j) p[j] = term(x[j]);
    size_t i = 8;
    for (; i < n - n % 8; i += 8) {
      for (size_t j = 0; j < 8; ++j) p[j] += term(x[i + j]);
    }
    T sum = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    for (; i < n; ++i) sum += term(x[i]);
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return numpy_pairwise_sum(x, half, term) + numpy_pairwise_sum(x + half, n - half, term);
}

// np.sum(x) for a contiguous 1-D (or flattened C-contiguous) array x.
template <typename T>
T numpy_sum(std::span<const T> x) {
  return T(0) + numpy_pairwise_sum(x.data(), x.size(), [](T v) { return v; });
}

// np.sum(np.square(x)): each square rounded to T, then summed as numpy_sum.
template <typename T>
T numpy_sum_of_squares(std::span<const T> x) {
  return T(0) + numpy_pairwise_sum(x.data(), x.size(), [](T v) { return v * v; });
}

}  // namespace cairn::mujoco_detail
