#include "cairn/nn/gemm.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "intra_op_pool.h"

namespace cairn::nn {
namespace {

// --- The portable kernel ----------------------------------------------------------
//
// The reference for the order of operations: for each element, a chain of std::fma
// over p from zero, then the initial value added once. Columns are processed in strips
// of kStrip accumulators so the inner loop over j vectorises without changing any
// element's chain.

constexpr Index kStrip = 64;

// An element's value once its chain is done: the initial value added once, after it
// (`before` is the destination's old value, read only when accumulating).
template <typename T>
inline T finish_chain(GemmInit init, T chain, const T& before, const T* bias, Index j) {
  switch (init) {
    case GemmInit::kZero:
      return chain;
    case GemmInit::kBias:
      return bias[j] + chain;
    case GemmInit::kAccumulate:
      return before + chain;
  }
  return chain;
}

template <typename T>
void gemm_portable(Index m, Index n, Index k, GemmLhs<T> a, const T* b, Index ldb, T* c, Index ldc,
                   GemmInit init, const T* bias) {
  T acc[kStrip];
  for (Index i = 0; i < m; ++i) {
    const T* a_row = a.data + i * a.row_stride;
    T* c_row = c + i * ldc;
    for (Index j0 = 0; j0 < n; j0 += kStrip) {
      const Index w = std::min(kStrip, n - j0);
      std::fill(acc, acc + w, T(0));
      for (Index p = 0; p < k; ++p) {
        const T av = a_row[p * a.col_stride];
        const T* b_row = b + p * ldb + j0;
        for (Index j = 0; j < w; ++j) acc[j] = std::fma(av, b_row[j], acc[j]);
      }
      for (Index j = 0; j < w; ++j) {
        c_row[j0 + j] = finish_chain(init, acc[j], c_row[j0 + j], bias, j0 + j);
      }
    }
  }
}

#if defined(__AVX512F__)

// --- The AVX-512 kernel (float) -----------------------------------------------------
//
// A register tile of kRows rows x kVectors vectors of 16 columns: each step of p loads
// kVectors vectors of B's row p, broadcasts kRows elements of A's column p and performs
// kRows x kVectors fused multiply-adds, each into its own accumulator (24 of the 32
// vector registers at the full 6 x 4 tile). A tile narrower than 16 columns in its last
// vector uses masked loads and stores, so every element goes through the same
// instruction sequence as in a full tile.

// dst's 16 x 16 block = the transpose of src's, in registers: 4 x 4 transposes inside
// each 128-bit lane (unpack, shuffle), then the lanes exchanged (two rounds of
// shuffle_f32x4). s[4g + c] holds, in lane L, column 4L + c of rows 4g..4g+3.
inline void transpose_block16(const float* src, Index lds, float* dst, Index ldd) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {
    r[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    const __m512 u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    const __m512 v0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
    _mm512_storeu_ps(dst + (0 + c) * ldd, _mm512_shuffle_f32x4(u0, v0, 0x88));
    _mm512_storeu_ps(dst + (4 + c) * ldd, _mm512_shuffle_f32x4(u1, v1, 0x88));
    _mm512_storeu_ps(dst + (8 + c) * ldd, _mm512_shuffle_f32x4(u0, v0, 0xDD));
    _mm512_storeu_ps(dst + (12 + c) * ldd, _mm512_shuffle_f32x4(u1, v1, 0xDD));
  }
}

constexpr Index kTileRows = 6;
constexpr Index kTileVectors = 4;
constexpr Index kLanes = 16;

template <int kRows, int kVectors>
inline void tile_f32(Index k, const float* a, Index ars, Index acs, const float* b, Index ldb,
                     float* c, Index ldc, __mmask16 last_mask, GemmInit init, const float* bias,
                     bool resume_chain) {
  __m512 acc[kRows][kVectors];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
    for (int v = 0; v < kVectors; ++v) {
      // A resumed chain continues from the partial sums a previous call stored in C
      // (storing a float partial sum is exact, so the chain is unbroken).
      const __mmask16 mask = v == kVectors - 1 ? last_mask : __mmask16(0xFFFF);
      acc[r][v] = resume_chain ? _mm512_maskz_loadu_ps(mask, c + r * ldc + v * kLanes)
                               : _mm512_setzero_ps();
    }
  }
  for (Index p = 0; p < k; ++p) {
    const float* b_row = b + p * ldb;
    __m512 bv[kVectors];
#pragma GCC unroll 8
    for (int v = 0; v < kVectors - 1; ++v) bv[v] = _mm512_loadu_ps(b_row + v * kLanes);
    bv[kVectors - 1] = _mm512_maskz_loadu_ps(last_mask, b_row + (kVectors - 1) * kLanes);
    const float* a_col = a + p * acs;
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      const __m512 av = _mm512_set1_ps(a_col[r * ars]);
#pragma GCC unroll 8
      for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    float* c_row = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < kVectors; ++v) {
      const __mmask16 mask = v == kVectors - 1 ? last_mask : __mmask16(0xFFFF);
      __m512 out = acc[r][v];
      if (init == GemmInit::kBias) {
        out = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, bias + v * kLanes), out);
      } else if (init == GemmInit::kAccumulate) {
        out = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c_row + v * kLanes), out);
      }
      _mm512_mask_storeu_ps(c_row + v * kLanes, mask, out);
    }
  }
}

using TileFn = void (*)(Index, const float*, Index, Index, const float*, Index, float*, Index,
                        __mmask16, GemmInit, const float*, bool);

template <int kRows>
constexpr TileFn tile_for_vectors(Index vectors) {
  switch (vectors) {
    case 1:
      return &tile_f32<kRows, 1>;
    case 2:
      return &tile_f32<kRows, 2>;
    case 3:
      return &tile_f32<kRows, 3>;
    default:
      return &tile_f32<kRows, 4>;
  }
}

TileFn tile_for(Index rows, Index vectors) {
  switch (rows) {
    case 1:
      return tile_for_vectors<1>(vectors);
    case 2:
      return tile_for_vectors<2>(vectors);
    case 3:
      return tile_for_vectors<3>(vectors);
    case 4:
      return tile_for_vectors<4>(vectors);
    case 5:
      return tile_for_vectors<5>(vectors);
    default:
      return tile_for_vectors<6>(vectors);
  }
}

constexpr Index kPanel = kTileVectors * kLanes;

__mmask16 tail_mask(Index width, Index vectors) {
  const Index tail = width - (vectors - 1) * kLanes;
  return static_cast<__mmask16>((1u << tail) - 1u);
}

// Outputs narrower than a vector (a critic's value, a policy's few action parameters,
// and the weight gradient of such a layer) would use one lane in sixteen of the tile
// above. This path computes C's transpose instead, with the operands' roles swapped:
// a tile's rows are C's columns and its lanes run over C's rows,
//   C^T(j, i) = sum_p B(p, j) A(i, p),
// which is the same chain for every element. C's rows go in chunks of kPanel; A's
// transpose is read in place when A is itself a transposed view (row_stride 1, as in
// a weight gradient) and copied a depth chunk at a time otherwise.
constexpr Index kNarrowDepth = 128;

// dst(p, i) = src(i, p) = src[i * rs + p * cs] for i < rows, p < depth; 16 x 16
// blocks in registers where src's rows are contiguous.
void copy_transposed(Index rows, Index depth, const float* src, Index rs, Index cs, float* dst,
                     Index ldd) {
  Index i0 = 0;
  if (cs == 1) {
    for (; i0 + kLanes <= rows; i0 += kLanes) {
      Index p0 = 0;
      for (; p0 + kLanes <= depth; p0 += kLanes) {
        transpose_block16(src + i0 * rs + p0, rs, dst + p0 * ldd + i0, ldd);
      }
      for (Index i = i0; i < i0 + kLanes; ++i) {
        for (Index p = p0; p < depth; ++p) dst[p * ldd + i] = src[i * rs + p];
      }
    }
  }
  for (Index i = i0; i < rows; ++i) {
    for (Index p = 0; p < depth; ++p) dst[p * ldd + i] = src[i * rs + p * cs];
  }
}

void gemm_narrow_avx512(Index m, Index n, Index k, GemmLhs<float> a, const float* b, Index ldb,
                        float* c, Index ldc, GemmInit init, const float* bias) {
  alignas(64) float a_t[kNarrowDepth * kPanel];
  alignas(64) float c_t[kTileRows * kPanel];
  for (Index i0 = 0; i0 < m; i0 += kPanel) {
    const Index rows = std::min(kPanel, m - i0);
    const Index vectors = (rows + kLanes - 1) / kLanes;
    const TileFn tile = tile_for(n, vectors);
    const __mmask16 mask = tail_mask(rows, vectors);
    for (Index p0 = 0; p0 < k; p0 += kNarrowDepth) {
      const Index depth = std::min(kNarrowDepth, k - p0);
      const float* rhs = a.data + i0 * a.row_stride + p0 * a.col_stride;
      Index ld_rhs = a.col_stride;
      if (a.row_stride != 1) {
        copy_transposed(rows, depth, rhs, a.row_stride, a.col_stride, a_t, kPanel);
        rhs = a_t;
        ld_rhs = kPanel;
      }
      tile(depth, b + p0 * ldb, 1, ldb, rhs, ld_rhs, c_t, kPanel, mask, GemmInit::kZero, nullptr,
           p0 > 0);
    }
    if (k == 0) std::fill(c_t, c_t + n * kPanel, 0.0f);
    // The initial value is added once, after the chain, as in the tile.
    for (Index i = 0; i < rows; ++i) {
      float* c_row = c + (i0 + i) * ldc;
      for (Index j = 0; j < n; ++j) {
        const float chain = c_t[j * kPanel + i];
        c_row[j] = finish_chain(init, chain, c_row[j], bias, j);
      }
    }
  }
}

void gemm_avx512(Index m, Index n, Index k, GemmLhs<float> a, const float* b, Index ldb, float* c,
                 Index ldc, GemmInit init, const float* bias) {
  if (n <= kTileRows && m >= kLanes) {
    gemm_narrow_avx512(m, n, k, a, b, ldb, c, ldc, init, bias);
    return;
  }
  // Column panels outermost: B's k x 64 panel stays in cache while every row tile
  // of A streams past it.
  for (Index j0 = 0; j0 < n; j0 += kPanel) {
    const Index width = std::min(kPanel, n - j0);
    const Index vectors = (width + kLanes - 1) / kLanes;
    const __mmask16 last_mask = tail_mask(width, vectors);
    const float* panel_bias = bias == nullptr ? nullptr : bias + j0;
    const TileFn full = tile_for(kTileRows, vectors);
    Index i0 = 0;
    for (; i0 + kTileRows <= m; i0 += kTileRows) {
      full(k, a.data + i0 * a.row_stride, a.row_stride, a.col_stride, b + j0, ldb,
           c + i0 * ldc + j0, ldc, last_mask, init, panel_bias, false);
    }
    if (i0 < m) {
      tile_for(m - i0, vectors)(k, a.data + i0 * a.row_stride, a.row_stride, a.col_stride, b + j0,
                                ldb, c + i0 * ldc + j0, ldc, last_mask, init, panel_bias, false);
    }
  }
}

#endif  // __AVX512F__

}  // namespace

namespace {

template <typename T>
void gemm_one_thread(Index m, Index n, Index k, GemmLhs<T> a, const T* b, Index ldb, T* c,
                     Index ldc, GemmInit init, const T* bias) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    gemm_avx512(m, n, k, a, b, ldb, c, ldc, init, bias);
    return;
  }
#endif
  gemm_portable(m, n, k, a, b, ldb, c, ldc, init, bias);
}

// --- Intra-op threads -----------------------------------------------------------------
//
// A product is split into parts of its output (ranges of rows, or of columns when there
// are too few rows), each computed whole by one thread, so every element's chain is the
// one-thread chain. Below kParallelMultiplyAdds the hand-off costs more than it saves.

constexpr double kParallelMultiplyAdds = 2e6;
constexpr Index kSplitUnit = 16;

template <typename T>
struct GemmJob {
  Index m, n, k;
  GemmLhs<T> a;
  const T* b;
  Index ldb;
  T* c;
  Index ldc;
  GemmInit init;
  const T* bias;
  bool split_rows;
};

template <typename T>
void gemm_part(void* context, int part, int parts) {
  const GemmJob<T>& j = *static_cast<const GemmJob<T>*>(context);
  const Index extent = j.split_rows ? j.m : j.n;
  const Index units = (extent + kSplitUnit - 1) / kSplitUnit;
  const Index begin = std::min(extent, units * part / parts * kSplitUnit);
  const Index end = std::min(extent, units * (part + 1) / parts * kSplitUnit);
  if (begin >= end) return;
  if (j.split_rows) {
    const GemmLhs<T> rows{j.a.data + begin * j.a.row_stride, j.a.row_stride, j.a.col_stride};
    gemm_one_thread(end - begin, j.n, j.k, rows, j.b, j.ldb, j.c + begin * j.ldc, j.ldc, j.init,
                    j.bias);
  } else {
    gemm_one_thread(j.m, end - begin, j.k, j.a, j.b + begin, j.ldb, j.c + begin, j.ldc, j.init,
                    j.bias == nullptr ? nullptr : j.bias + begin);
  }
}

}  // namespace

template <typename T>
void gemm(Index m, Index n, Index k, GemmLhs<T> a, const T* b, Index ldb, T* c, Index ldc,
          GemmInit init, const T* bias) {
  if (m <= 0 || n <= 0) return;
  const double multiply_adds =
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (multiply_adds >= kParallelMultiplyAdds) {
    IntraOpPool& pool = IntraOpPool::instance();
    const int parts = pool.threads();
    const bool split_rows = m >= 2 * kSplitUnit * parts || n < 2 * kSplitUnit * parts;
    if (parts > 1 && (split_rows ? m : n) >= 2 * kSplitUnit) {
      GemmJob<T> job{m, n, k, a, b, ldb, c, ldc, init, bias, split_rows};
      pool.run(&gemm_part<T>, &job);
      return;
    }
  }
  gemm_one_thread(m, n, k, a, b, ldb, c, ldc, init, bias);
}

template <typename T>
void accumulate_dense_gradients(Index samples, Index in, Index out, const T* x, const T* dz,
                                T* d_kernel_first, T* d_bias_first, Index block_stride) {
  T column_sum[kStrip];
  for (Index s0 = 0; s0 < samples; s0 += kGradientBlock) {
    const Index block = std::min(kGradientBlock, samples - s0);
    const Index offset = block_stride * (s0 / kGradientBlock);
    T* d_kernel = d_kernel_first + offset;
    T* d_bias = d_bias_first + offset;
    const T* x_block = x + s0 * in;
    const T* dz_block = dz + s0 * out;
    // d_kernel += x_block^T dz_block: A(i, p) = x_block[p][i].
    gemm<T>(in, out, block, GemmLhs<T>{x_block, 1, in}, dz_block, out, d_kernel, out,
            GemmInit::kAccumulate);
    // d_bias += the block's column sums (a chain from zero, like the kernel's).
    for (Index j0 = 0; j0 < out; j0 += kStrip) {
      const Index w = std::min(kStrip, out - j0);
      std::fill(column_sum, column_sum + w, T(0));
      for (Index s = 0; s < block; ++s) {
        const T* row = dz_block + s * out + j0;
        for (Index j = 0; j < w; ++j) column_sum[j] += row[j];
      }
      for (Index j = 0; j < w; ++j) d_bias[j0 + j] += column_sum[j];
    }
  }
}

template <typename T>
void transpose(Index rows, Index cols, const T* src, T* dst) {
  constexpr Index kBlock = 16;
  for (Index i0 = 0; i0 < rows; i0 += kBlock) {
    const Index i1 = std::min(rows, i0 + kBlock);
    for (Index j0 = 0; j0 < cols; j0 += kBlock) {
      const Index j1 = std::min(cols, j0 + kBlock);
#if defined(__AVX512F__)
      if constexpr (std::is_same_v<T, float>) {
        if (i1 - i0 == kBlock && j1 - j0 == kBlock) {
          transpose_block16(src + i0 * cols + j0, cols, dst + j0 * rows + i0, rows);
          continue;
        }
      }
#endif
      for (Index i = i0; i < i1; ++i) {
        for (Index j = j0; j < j1; ++j) dst[j * rows + i] = src[i * cols + j];
      }
    }
  }
}

const char* gemm_kernel_name() {
#if defined(__AVX512F__)
  return "avx512";
#else
  return "portable";
#endif
}

template void gemm<float>(Index, Index, Index, GemmLhs<float>, const float*, Index, float*, Index,
                          GemmInit, const float*);
template void gemm<double>(Index, Index, Index, GemmLhs<double>, const double*, Index, double*,
                           Index, GemmInit, const double*);
template void accumulate_dense_gradients<float>(Index, Index, Index, const float*, const float*,
                                                float*, float*, Index);
template void accumulate_dense_gradients<double>(Index, Index, Index, const double*, const double*,
                                                 double*, double*, Index);
template void transpose<float>(Index, Index, const float*, float*);
template void transpose<double>(Index, Index, const double*, double*);

}  // namespace cairn::nn
