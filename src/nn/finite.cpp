#include "cairn/nn/finite.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace cairn::nn {

template <typename T>
bool all_finite(std::span<const T> values) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  // A value is NaN or infinite exactly when all its exponent bits are set.
  constexpr Bits kExponent =
      static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
  Bits bad = 0;
  for (const T x : values)
    bad |= static_cast<Bits>((std::bit_cast<Bits>(x) & kExponent) == kExponent);
  return bad == 0;
}

template <typename T>
size_t first_non_finite(std::span<const T> values) {
  if (all_finite(values)) return values.size();
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) return i;
  }
  return values.size();
}

std::string non_finite_name(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return std::to_string(value);
}

template <typename T>
std::string describe_non_finite(std::span<const T> flat, const std::vector<TensorInfo>& layout) {
  if (all_finite(flat)) return "";
  for (const TensorInfo& t : layout) {
    const std::span<const T> slice = flat.subspan(t.offset, t.size);
    const size_t i = first_non_finite(slice);
    if (i < slice.size()) {
      return "tensor '" + t.name + "' element " + std::to_string(i) + " is " +
             non_finite_name(static_cast<double>(slice[i]));
    }
  }
  const size_t i = first_non_finite(flat);
  return "element " + std::to_string(i) + " is " + non_finite_name(static_cast<double>(flat[i]));
}

template bool all_finite<float>(std::span<const float>);
template bool all_finite<double>(std::span<const double>);
template size_t first_non_finite<float>(std::span<const float>);
template size_t first_non_finite<double>(std::span<const double>);
template std::string describe_non_finite<float>(std::span<const float>,
                                                const std::vector<TensorInfo>&);
template std::string describe_non_finite<double>(std::span<const double>,
                                                 const std::vector<TensorInfo>&);

}  // namespace cairn::nn
