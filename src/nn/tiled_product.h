// Internal: matrix products that never make Eigen allocate.
//
// Eigen's GEMM packs its operands into blocks of kc x mc and kc x nc scalars, which it
// places on the stack when they fit in EIGEN_STACK_ALLOCATION_LIMIT (128 KiB) and on
// the heap otherwise (e.g. a 2048-row batch times a 64 x 64 kernel). Splitting the
// product into tiles whose depth x rows and depth x cols both fit bounds those blocks,
// so large batches and wide layers stay allocation-free. Small products (the common
// case) are a single Eigen call.
#pragma once

#include <algorithm>

#include "cairn/nn/tensor.h"

namespace cairn::nn::detail {

inline constexpr Index kGemmStackBytes = 128 * 1024;

// dst = lhs * rhs (accumulate == false) or dst += lhs * rhs (accumulate == true).
// dst must not alias lhs or rhs.
template <typename Dst, typename Lhs, typename Rhs>
void tiled_product(Dst&& dst, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
  using Scalar = typename std::decay_t<Dst>::Scalar;
  constexpr Index kLimit = kGemmStackBytes / static_cast<Index>(sizeof(Scalar));
  const Index m = lhs.rows(), k = lhs.cols(), n = rhs.cols();
  if (k * m <= kLimit && k * n <= kLimit) {
    if (accumulate) {
      dst.noalias() += lhs * rhs;
    } else {
      dst.noalias() = lhs * rhs;
    }
    return;
  }
  const Index kt = std::min<Index>(k, 128);
  const Index mt = std::max<Index>(1, kLimit / kt), nt = mt;
  for (Index i = 0; i < m; i += mt) {
    const Index mi = std::min(mt, m - i);
    for (Index j = 0; j < n; j += nt) {
      const Index nj = std::min(nt, n - j);
      auto d = dst.block(i, j, mi, nj);
      for (Index p = 0; p < k; p += kt) {
        const Index kp = std::min(kt, k - p);
        if (p == 0 && !accumulate) {
          d.noalias() = lhs.block(i, p, mi, kp) * rhs.block(p, j, kp, nj);
        } else {
          d.noalias() += lhs.block(i, p, mi, kp) * rhs.block(p, j, kp, nj);
        }
      }
    }
  }
}

}  // namespace cairn::nn::detail
