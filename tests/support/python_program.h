// Running a short Python program under Debian's Python (/usr/bin/python3, which has
// NumPy; a python3 earlier on PATH may not), for tests that compare with NumPy.
#pragma once

#include <cstdio>
#include <string>

namespace cairn::testing_python {

// Runs `program` (passed as `python3 -c '...'`, so it must not contain a single quote)
// and returns what it printed, standard error included; "popen failed" if it could not
// be started.
inline std::string run_python_program(const std::string& program) {
  const std::string command = "/usr/bin/python3 -c '" + program + "' 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace cairn::testing_python
