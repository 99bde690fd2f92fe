// Scalar helpers that reproduce how Python and NumPy 1.24 evaluate the classic-control
// environments' float64 arithmetic, operation by operation. Internal to src/envs.
//
// All functions are pure, thread-safe and do not allocate.
#pragma once

#include <cmath>

namespace cairn::envs_detail {

// Python's `x ** 2` on a float or a NumPy float64 scalar: both call the C library's
// pow(x, 2.0). glibc's pow is not always correctly rounded, so it differs from x * x in
// the last bit for about one input in a thousand; GCC would fold pow(x, 2.0) into x * x,
// so the exponent is hidden from the optimiser.
inline double py_square(double x) {
  double two = 2.0;
  __asm__("" : "+m"(two));
  return std::pow(x, two);
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
