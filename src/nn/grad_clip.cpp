#include "cairn/nn/grad_clip.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/nn/tensor.h"

namespace cairn::nn {

template <typename T>
double global_norm(std::span<const T> values) {
  // Vectorised sums of squares in T over short chunks, accumulated in double: as fast
  // as a plain T reduction and as accurate as a double one for any realistic length.
  constexpr size_t kChunk = 256;
  double total = 0.0;
  for (size_t start = 0; start < values.size(); start += kChunk) {
    const size_t len = std::min(kChunk, values.size() - start);
    const Eigen::Map<const Vector<T>> v(values.data() + start, static_cast<Index>(len));
    total += static_cast<double>(v.squaredNorm());
  }
  if (std::isinf(total)) {
    // A chunk's sum of squares overflowed T although the values may all be finite
    // (|g| > 1.8e19 in float); a NaN or infinity in `values` still gives NaN or inf.
    total = 0.0;
    for (const T x : values) total += static_cast<double>(x) * static_cast<double>(x);
  }
  return std::sqrt(total);
}

template <typename T>
double clip_grad_norm(std::span<T> grads, double max_norm) {
  if (!(max_norm > 0)) throw Error("clip_grad_norm: max_norm must be positive");
  const double total = global_norm<T>(grads);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    Eigen::Map<Vector<T>> g(grads.data(), static_cast<Index>(grads.size()));
    g *= static_cast<T>(coef);
  }
  return total;
}

template double global_norm<float>(std::span<const float>);
template double global_norm<double>(std::span<const double>);
template double clip_grad_norm<float>(std::span<float>, double);
template double clip_grad_norm<double>(std::span<double>, double);

}  // namespace cairn::nn
