#include "machine_peak.h"

#include <algorithm>
#include <chrono>

#include "bench_report.h"

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace cairn::bench {
namespace {

// 16 accumulators: enough independent chains to cover the FMA latency on every
// current x86 core (4 cycles x 2 pipes = 8 in flight), so the loop runs at throughput.
constexpr int kChains = 16;
constexpr long kIterations = 4'000'000;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
constexpr const char* kIsa = "AVX-512 FMA (16 lanes)";
Vec splat(float x) {
  return _mm512_set1_ps(x);
}
Vec fma(Vec a, Vec b, Vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
float first_lane(Vec v) {
  return _mm512_cvtss_f32(v);
}
#elif defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char* kIsa = "AVX2 FMA (8 lanes)";
Vec splat(float x) {
  return _mm256_set1_ps(x);
}
Vec fma(Vec a, Vec b, Vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
float first_lane(Vec v) {
  return _mm256_cvtss_f32(v);
}
#else
using Vec = float;
constexpr int kLanes = 1;
constexpr const char* kIsa = "scalar (no FMA instructions in this build)";
Vec splat(float x) {
  return x;
}
Vec fma(Vec a, Vec b, Vec c) {
  return a * b + c;
}
float first_lane(Vec v) {
  return v;
}
#endif

double run_once() {
  volatile float seed_mul = 0.999999f, seed_add = 1e-7f;
  const Vec mul = splat(seed_mul), add = splat(seed_add);
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = splat(static_cast<float>(c));
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = fma(acc[c], mul, add);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float sum = 0;
  for (int c = 0; c < kChains; ++c) sum += first_lane(acc[c]);
  do_not_optimize(sum);
  return 2.0 * kChains * kLanes * static_cast<double>(kIterations) / s / 1e9;
}

}  // namespace

FmaPeak measure_fma_peak() {
  double best = 0;
  for (int r = 0; r < 5; ++r) best = std::max(best, run_once());
  return {best, kIsa};
}

}  // namespace cairn::bench
