// The scalar helpers that reproduce Python/NumPy float64 semantics (src/env/numpy_math.h).
#include "env/numpy_math.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cairn/random/random.h"

namespace cairn::envs_detail {
namespace {

// py_square takes a shortcut around pow(); it must still return exactly what the C
// library's pow(x, 2.0) returns.
TEST(EnvNumpyMath, PySquareEqualsTheCLibraryPowBitForBit) {
  Rng rng(2024);
  int64_t differences = 0;
  for (int i = 0; i < 3'000'000; ++i) {
    double x;
    switch (i % 3) {
      case 0:  // values of the size the environments see
        x = rng.uniform(-40.0, 40.0);
        break;
      case 1:  // near square roots of powers of two, where binades change
        x = std::ldexp(1.4142135623730951, static_cast<int>(rng.below(40)) - 20) *
            (1.0 + rng.uniform(-1e-12, 1e-12));
        break;
      default:  // any mantissa, wide range of exponents, both signs
        x = std::bit_cast<double>((rng.next_u64() & 0x800FFFFFFFFFFFFFULL) |
                                  ((1023 - 300 + rng.below(600)) << 52));
    }
    const double fast = py_square(x);
    const double reference = libm_pow2(x);
    if (std::bit_cast<uint64_t>(fast) != std::bit_cast<uint64_t>(reference)) {
      if (++differences <= 5) {
        ADD_FAILURE() << "x = " << x << ": py_square " << fast << " vs pow " << reference;
      }
    }
  }
  EXPECT_EQ(differences, 0);
  // Special values go through pow itself.
  for (double x :
       {0.0, -0.0, 1.0, -2.0, 0.5, 1e-200, 1e300, std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::denorm_min()}) {
    EXPECT_EQ(std::bit_cast<uint64_t>(py_square(x)), std::bit_cast<uint64_t>(libm_pow2(x))) << x;
  }
  EXPECT_TRUE(std::isnan(py_square(std::nan(""))));
}

TEST(EnvNumpyMath, PyModHasTheSignOfTheDivisorLikePython) {
  // Python: 5.5 % 2.0 == 1.5, -5.5 % 2.0 == 0.5, 5.5 % -2.0 == -0.5, -4.0 % 2.0 == 0.0.
  EXPECT_EQ(py_mod(5.5, 2.0), 1.5);
  EXPECT_EQ(py_mod(-5.5, 2.0), 0.5);
  EXPECT_EQ(py_mod(5.5, -2.0), -0.5);
  EXPECT_EQ(py_mod(-4.0, 2.0), 0.0);
  EXPECT_FALSE(std::signbit(py_mod(-4.0, 2.0)));
  EXPECT_TRUE(std::signbit(py_mod(4.0, -2.0)));
}

TEST(EnvNumpyMath, ClipAndPythonMinMax) {
  EXPECT_EQ(np_clip(3.0, -1.0, 2.0), 2.0);
  EXPECT_EQ(np_clip(-3.0, -1.0, 2.0), -1.0);
  EXPECT_EQ(np_clip(0.5, -1.0, 2.0), 0.5);
  EXPECT_EQ(np_clip(2.5f, -2.0f, 2.0f), 2.0f);
  // Python's max/min keep the first argument unless the second is strictly larger/smaller.
  EXPECT_TRUE(std::signbit(py_max(-0.0, 0.0)));
  EXPECT_FALSE(std::signbit(py_max(0.0, -0.0)));
  EXPECT_TRUE(std::signbit(py_min(-0.0, 0.0)));
  EXPECT_EQ(py_max(1.0, 2.0), 2.0);
  EXPECT_EQ(py_min(1.0, 2.0), 1.0);
}

}  // namespace
}  // namespace cairn::envs_detail
