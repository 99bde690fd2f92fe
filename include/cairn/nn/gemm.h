// The engine's matrix products.
//
// Every dense layer's forward and backward pass is one of the products below. They are
// written for the shapes reinforcement learning uses (a few to a few hundred rows of
// 2..256 features, 64 x 64 and 256 x 256 kernels), and their reduction order is fixed
// and documented, which is the property the rest of cairn builds on:
//
//   * A row of a product depends on that row of the left operand and on the right
//     operand only: the same sample gives the same output bits whether it is computed
//     in a batch of 1, 7 or 256, wherever it sits in the batch and wherever the batch
//     sits in memory. (Acting at batch 1, evaluating at batch N and a distributed run
//     all see the same numbers.)
//   * Each element is one chain of fused multiply-adds in the order of the summed index,
//     starting from zero; the initial value (a bias, or the destination's old value when
//     accumulating) is added once, after the chain. The SIMD kernel and the portable
//     kernel perform the same operations, so both give the same bits.
//   * Sums over samples (weight and bias gradients) are taken over fixed blocks of
//     kGradientBlock samples: each block's sum is one chain from zero, and the blocks'
//     sums are added to the gradient in sample order. The same samples in the same block
//     order give the same bits however the blocks are computed (one call or several,
//     one thread or several).
//
// None of these functions allocates, throws or keeps state; they are safe to call from
// several threads on disjoint outputs. With intra-op threads (nn/intra_op_threads.h) a
// large product is split into parts of its output, each element still computed whole by
// one thread, so the bits do not change. Operands are row-major with explicit strides and
// must not alias the output.
#pragma once

#include "cairn/nn/tensor.h"

namespace cairn::nn {

// How a product's destination starts (the chain of products is added to it once).
enum class GemmInit {
  kZero,        // C = A B
  kBias,        // C(i, j) = bias[j] + (A B)(i, j)
  kAccumulate,  // C(i, j) = C(i, j) + (A B)(i, j)
};

// The left operand: element (i, p) is data[i * row_stride + p * col_stride], so a
// row-major matrix and the transpose of one are both views without a copy.
template <typename T>
struct GemmLhs {
  const T* data;
  Index row_stride;
  Index col_stride;
};

// C (m x n, row stride ldc) = init + A (m x k) B (k x n, row-major, row stride ldb).
// C(i, j)'s chain is sum_{p = 0..k-1} A(i, p) B(p, j) in order of p. `bias` has n
// elements and is read only with GemmInit::kBias. k == 0 leaves the chain at zero.
template <typename T>
void gemm(Index m, Index n, Index k, GemmLhs<T> a, const T* b, Index ldb, T* c, Index ldc,
          GemmInit init, const T* bias = nullptr);

// Samples per block in the sums over samples (see the top of this header).
inline constexpr Index kGradientBlock = 64;

// The gradients of a dense layer y = x W + b with respect to W and b, added into
// d_kernel (in x out, row-major) and d_bias (out) as sums over blocks of kGradientBlock
// samples: x is samples x in, dz (= dL/d(x W + b)) is samples x out, both row-major.
// With block_stride > 0, block k's sums are added into d_kernel + k * block_stride and
// d_bias + k * block_stride instead, one destination per block (a distributed run's
// per-block gradients; distributed/block_gradients.h).
template <typename T>
void accumulate_dense_gradients(Index samples, Index in, Index out, const T* x, const T* dz,
                                T* d_kernel, T* d_bias, Index block_stride = 0);

// dst (cols x rows, row-major) = the transpose of src (rows x cols, row-major).
template <typename T>
void transpose(Index rows, Index cols, const T* src, T* dst);

// The name of the kernel this build uses for float products ("avx512" or "portable"),
// for benchmark reports.
const char* gemm_kernel_name();

}  // namespace cairn::nn
