// Matrix and tensor vocabulary shared by the neural-network engine.
//
// Layout: every activation, gradient and parameter tensor is dense, row-major and
// contiguous. Activations are batch-major ([batch, features], one sample per row),
// so an observation's features are contiguous and a batch-1 forward pass is a chain
// of matrix-vector products. Parameters are stored in one flat buffer per model;
// each named tensor is a contiguous slice of it in row-major (C) order, which is
// exactly the layout safetensors stores.
//
// Thread safety: all types here are plain values; MatrixSpan does not own memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

// GCC 12 reports false -W(maybe-)uninitialized warnings inside its AVX-512 intrinsics
// (_mm512_undefined_*, GCC bug 105593) when Eigen is inlined with -march=native. The
// warning is attributed to the intrinsic headers, which Eigen/Core includes here, so
// it is silenced for them only. Include this header before any other Eigen header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop
#else
#include <Eigen/Core>
#endif

namespace cairn::nn {

using Index = Eigen::Index;

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// A non-owning view of a dense row-major matrix: `rows * cols` contiguous elements.
// T may be const-qualified for a read-only view. A default-constructed span is
// empty (data == nullptr); layers receive empty spans for gradients nobody needs.
template <typename T>
struct MatrixSpan {
  using Scalar = std::remove_const_t<T>;
  using EigenMap = Eigen::Map<
      std::conditional_t<std::is_const_v<T>, const RowMatrix<Scalar>, RowMatrix<Scalar>>>;

  T* data = nullptr;
  Index rows = 0;
  Index cols = 0;

  MatrixSpan() = default;
  MatrixSpan(T* d, Index r, Index c) : data(d), rows(r), cols(c) {}
  // A mutable span converts to a read-only one.
  template <typename U>
  requires(std::is_const_v<T>&& std::is_same_v<U, Scalar>)
      MatrixSpan(const MatrixSpan<U>& other)  // NOLINT(google-explicit-constructor)
      : data(other.data), rows(other.rows), cols(other.cols) {}

  bool empty() const { return data == nullptr; }
  Index size() const { return rows * cols; }
  // An Eigen view of the same memory. Does not allocate.
  EigenMap map() const { return EigenMap(data, rows, cols); }
  std::span<T> flat() const { return std::span<T>(data, static_cast<size_t>(rows * cols)); }
};

// A read-only view of an Eigen row-major matrix (which must outlive the view).
template <typename T>
MatrixSpan<const T> as_span(const RowMatrix<T>& m) {
  return MatrixSpan<const T>(m.data(), m.rows(), m.cols());
}
template <typename T>
MatrixSpan<T> as_span(RowMatrix<T>& m) {
  return MatrixSpan<T>(m.data(), m.rows(), m.cols());
}

// A named tensor inside a flat buffer: elements [offset, offset + size) in row-major order.
struct TensorInfo {
  std::string name;            // e.g. "pi/dense_0/kernel"
  std::vector<int64_t> shape;  // e.g. {4, 64}
  size_t offset = 0;           // in elements, from the start of the flat buffer
  size_t size = 0;             // product of shape

  bool operator==(const TensorInfo&) const = default;
};

// Number of elements of `shape` (1 for a scalar, i.e. an empty shape).
size_t shape_numel(std::span<const int64_t> shape);
// "[4, 64]"; allocates the returned string.
std::string shape_string(std::span<const int64_t> shape);

}  // namespace cairn::nn
