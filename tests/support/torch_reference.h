// What the PyTorch conformance tests share: the Python that has python3-torch
// (Debian's, not whatever `python3` is first on PATH), whether it imports torch, and the
// scale-relative error the comparisons use.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cairn::testing_torch {

inline constexpr const char* kPython = "/usr/bin/python3";

// Whether kPython imports torch (asked once). scripts/test.sh installs python3-torch, so
// a test that finds it missing fails; it never skips.
inline bool torch_available() {
  static const bool ok =
      std::system((std::string(kPython) + " -c 'import torch' > /dev/null 2>&1").c_str()) == 0;
  return ok;
}

// max_i |a_i - b_i| / max(|b_i|, floor * max_j |b_j|): relative to each element, but
// to `floor` times the tensor's scale for elements that cancel to near zero (their
// rounding noise is relative to the scale, not to themselves).
inline double relative_error(const std::vector<double>& a, const std::vector<double>& b,
                             double floor) {
  EXPECT_EQ(a.size(), b.size());
  double scale = 0, worst = 0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double denom = std::max({std::abs(b[i]), floor * scale, 1e-30});
    worst = std::max(worst, std::abs(a[i] - b[i]) / denom);
  }
  return worst;
}

}  // namespace cairn::testing_torch
