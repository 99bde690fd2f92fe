// Shared helpers for the benchmark programs: the machine description printed above
// every table, robust timing (median of repeated batches after a warm-up), and a plain
// text table. Benchmarks print; they never assert on speed.
//
// Thread safety: single-threaded use. Everything here may allocate.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::bench {

// CPU model name from /proc/cpuinfo ("unknown CPU" if unreadable).
std::string cpu_model();
// Compiler name and version this program was built with.
std::string compiler();
// Optimisation level, ISA extensions and Eigen SIMD sets detected at compile time.
std::string build_flags();
// Prints "machine / compiler / flags" lines.
void print_machine(const std::string& title);

double median(std::vector<double> values);

// Keeps the compiler from optimising away a value computed by a timed call.
template <typename T>
inline void do_not_optimize(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// Median wall time of one call of `f`, in nanoseconds: `f` runs for ~warmup_seconds,
// then `repeats` timed batches of `inner` calls each.
template <typename F>
double median_ns(F&& f, int repeats = 31, int inner = 0, double warmup_seconds = 0.2) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int64_t warm_calls = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < warmup_seconds) {
    f();
    ++warm_calls;
  }
  if (inner <= 0) {
    // Aim for batches of ~2 ms.
    const double per_call = warmup_seconds / static_cast<double>(warm_calls > 0 ? warm_calls : 1);
    inner = static_cast<int>(2e-3 / per_call);
    if (inner < 1) inner = 1;
  }
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < inner; ++i) f();
    const auto t1 = Clock::now();
    samples.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / inner);
  }
  return median(samples);
}

// "0.412 µs", "87.3 µs", "1.25 ms" from nanoseconds.
std::string format_duration(double ns);

// v printed with one printf conversion for a double (fmt such as "%.2f" or "%.0fk").
std::string format_number(double v, const char* fmt);

// A left-aligned text table with a header row and a rule under it.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add_row(std::vector<std::string> cells);
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace cairn::bench
