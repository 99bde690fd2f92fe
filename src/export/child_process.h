// Internal: runs a program (the compiler, the compiled harness, Node) and captures
// what it prints, with a time limit. No shell is involved: arguments are passed as is.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cairn::export_detail {

struct ChildResult {
  bool started = false;    // false: the program could not be started (see `error`)
  bool not_found = false;  // the program does not exist (ENOENT / not on the PATH)
  bool timed_out = false;  // killed after the time limit
  int exit_code = -1;      // exit status, or 128 + signal number
  std::string output;      // stdout and stderr, interleaved
  std::string error;       // why it could not be started
};

// Runs argv[0] (searched on the PATH when it has no '/') with stdin from /dev/null,
// stdout and stderr captured through `capture_file` (created/overwritten). Never throws
// for a failing program; throws cairn::Error if the capture file cannot be created.
ChildResult run_child(const std::vector<std::string>& argv, double timeout_seconds,
                      const std::filesystem::path& capture_file);

// Searches `program` on the PATH (or checks it if it contains '/'); empty if not found.
std::string find_program(const std::string& program);

// Creates a fresh private folder under the system's temporary directory and removes it
// (with everything in it) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cairn::export_detail
