#include "bench_report.h"

#include <algorithm>
#include <cstdarg>
#include <fstream>
#include <thread>

namespace cairn::bench {

std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::string compiler;
#if defined(__clang__)
  compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  compiler = "gcc " __VERSION__;
#endif
  std::string flags = "-O3";
#if defined(__AVX512F__)
  flags += " avx512";
#elif defined(__AVX2__)
  flags += " avx2";
#endif
#if defined(__FMA__)
  flags += " fma";
#endif
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores; " + compiler +
         "; " + flags;
}

void print_header(const std::string& title) {
  std::printf("%s\nmachine: %s\n\n", title.c_str(), machine_description().c_str());
}

double median_seconds(const std::function<void()>& fn, int repeats, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t(static_cast<size_t>(repeats));
  for (double& s : t) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::nth_element(t.begin(), t.begin() + repeats / 2, t.end());
  return t[static_cast<size_t>(repeats / 2)];
}

void Table::print(std::FILE* out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string& s = c < cells.size() ? cells[c] : std::string();
      // First column left-aligned (names), the rest right-aligned (numbers).
      if (c == 0) {
        std::fprintf(out, "%-*s", static_cast<int>(width[c]), s.c_str());
      } else {
        std::fprintf(out, "  %*s", static_cast<int>(width[c]), s.c_str());
      }
    }
    std::fprintf(out, "\n");
  };
  line(headers_);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows_) line(row);
}

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  char buffer[512];
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

}  // namespace cairn::bench
