// The machine's limit, measured: the peak single-precision fused multiply-add rate of
// one core, against which the engine's benchmarks report their achieved GFLOP/s.
#pragma once

#include <string>

namespace cairn::bench {

struct FmaPeak {
  double gflops = 0;  // 2 floating-point operations per lane per fused multiply-add
  std::string isa;    // the instructions measured, e.g. "AVX-512 (16 lanes)"
};

// Runs 16 independent chains of vector fused multiply-adds (as wide as the build's
// target allows) for about 0.1 s, best of five; single-threaded.
FmaPeak measure_fma_peak();

}  // namespace cairn::bench
