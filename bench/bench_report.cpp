#include "bench_report.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

namespace cairn::bench {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

std::string build_flags() {
  std::string s;
#if defined(__OPTIMIZE__) && defined(NDEBUG)
  s += "optimised release build (preset \"release\": -O3 -march=native -ffp-contract=off)";
#elif defined(__OPTIMIZE__)
  s += "optimised build with assertions";
#else
  s += "UNOPTIMISED build (numbers meaningless)";
#endif
  s += "; ISA:";
#ifdef __AVX512F__
  s += " AVX-512F";
#endif
#ifdef __AVX2__
  s += " AVX2";
#endif
#ifdef __FMA__
  s += " FMA";
#endif
  s += "; Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." +
       std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION) +
       " SIMD: " + Eigen::SimdInstructionSetsInUse();
  return s;
}

void print_machine(const std::string& title) {
  std::printf("%s\n", title.c_str());
  std::printf("machine:  %s (%u hardware threads; benchmarks are single-threaded)\n",
              cpu_model().c_str(), std::max(1u, std::thread::hardware_concurrency()));
  std::printf("compiler: %s\n", compiler().c_str());
  std::printf("flags:    %s\n\n", build_flags().c_str());
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string format_duration(double ns) {
  char buf[64];
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.3f µs", ns / 1e3);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f µs", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  }
  return buf;
}

std::string format_number(double v, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

Table::Table(std::vector<std::string> header) {
  rows_.push_back(std::move(header));
}

void Table::add_row(std::vector<std::string> cells) {
  rows_.push_back(std::move(cells));
}

namespace {
// Display width of UTF-8 text (counts code points, not bytes).
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}
}  // namespace

void Table::print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  for (size_t r = 0; r < rows_.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < rows_[r].size(); ++i) {
      line += rows_[r][i] + std::string(widths[i] - display_width(rows_[r][i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
    if (r == 0) {
      size_t total = 0;
      for (size_t w : widths) total += w + 2;
      std::printf("%s\n", std::string(total > 2 ? total - 2 : 0, '-').c_str());
    }
  }
}

}  // namespace cairn::bench
