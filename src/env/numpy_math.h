// Scalar helpers that reproduce how Python and NumPy 1.24 evaluate the classic-control
// X
//
// All functions are pure, thread-safe and do not allocate.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace cairn::envs_detail {

// The C library's pow(x, 2.0), called so that the compiler cannot fold it into x * x.
inline double libm_pow2(double x) {
  double two = 2.0;
  __asm__("" : "+m"(two));
  return std::pow(x, two);
}

// Python's `x ** 2` on a float or a NumPy float64 scalar: both call the C library's
// pow(x, 2.0). glibc's pow is not correctly rounded (its documented worst case is 0.54 ulp),
// so for about one input in a thousand it differs from x * x in the last bit, and those
// differences show in Gymnasium's rewards. pow costs ~20 ns, so this returns the correctly
// rounded x * x when the exact square lies within 0.4 ulp of it (then pow's result, within
// 0.54 ulp of the exact square, can only be x * x too) and calls pow otherwise (about one
// call in five). The exact rounding error of x * x comes from Dekker's product, which needs
// the project's -ffp-contract=off.
inline double py_square(double x) {
  const double p = x * x;
  const uint64_t bits = std::bit_cast<uint64_t>(p);
  constexpr uint64_t kExponent = 0x7FF0000000000000ULL;
  constexpr uint64_t kMantissa = 0x000FFFFFFFFFFFFFULL;
  // Subnormal, zero, infinite, NaN, or a power of two (whose lower neighbour is closer):
  // leave it to pow. |x| < 2^500 keeps Dekker's split exact.
  const uint64_t exponent = bits & kExponent;
  if (exponent == 0 || exponent == kExponent || (bits & kMantissa) == 0 ||
      !(std::fabs(x) < 0x1p500)) {
    return libm_pow2(x);
  }
  const double split = 134217729.0 * x;  // 2^27 + 1
  const double hi = split - (split - x);
  const double lo = x - hi;
  const double err = ((hi * hi - p) + 2.0 * (hi * lo)) + lo * lo;  // x*x == p + err exactly
  const double ulp = std::bit_cast<double>(exponent) * 0x1p-52;
  if (std::fabs(err) <= 0.4 * ulp) return p;
  return libm_pow2(x);
}

// np.clip(x, lo, hi) for a float64 scalar (NumPy's _NPY_CLIP: min(max(x, lo), hi)).
inline double np_clip(double x, double lo, double hi) {
  const double m = x > lo ? x : lo;
  return m < hi ? m : hi;
}

// np.clip(x, lo, hi) for a float32 value with float32 bounds.
inline float np_clip(float x, float lo, float hi) {
  const float m = x > lo ? x : lo;
  return m < hi ? m : hi;
}

// Python's builtin max(a, b) and min(a, b) for two numbers: the first argument unless the
// second compares strictly greater (smaller).
inline double py_max(double a, double b) {
  return b > a ? b : a;
}
inline double py_min(double a, double b) {
  return b < a ? b : a;
}

// Python's / NumPy's float remainder `a % b` (result has the sign of b).
inline double py_mod(double a, double b) {
  double mod = std::fmod(a, b);
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

}  // namespace cairn::envs_detail
