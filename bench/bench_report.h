// Shared pieces of cairn's benchmark programs: a description of the machine and
// build, a median-of-repeats timer, and plain-text tables.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace cairn::bench {

// "CPU model, N cores; compiler; flags" for the table header. Allocates.
std::string machine_description();

// Prints the title line and the machine description.
void print_header(const std::string& title);

// Runs `fn` `warmup` times, then `repeats` times, and returns the median seconds per call.
double median_seconds(const std::function<void()>& fn, int repeats, int warmup = 3);

// A plain-text table: columns with headers, rows of strings, printed aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cairn::bench
