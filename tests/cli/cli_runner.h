// Running the cairn program from tests, as a user runs it: through a shell (popen,
// output not a terminal) or under a pseudo-terminal (forkpty).
#pragma once

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace cairn::testing_cli {

inline std::string cairn_binary() {
  return std::string(CAIRN_BINARY_DIR) + "/apps/cairn/cairn";
}

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

// Runs a shell command line, capturing stdout and stderr.
inline CliRun run_shell(const std::string& command) {
  CliRun r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `cairn <args>` with stdout a pipe.
inline CliRun run_cli(const std::string& args) {
  return run_shell(cairn_binary() + " " + args);
}

// `cairn <args...>` with stdout and stderr a pseudo-terminal.
inline CliRun run_cli_on_terminal(const std::vector<std::string>& args) {
  CliRun r;
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return r;
  if (pid == 0) {
    std::vector<std::string> all = {cairn_binary()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::array<char, 4096> buf;
  for (;;) {
    const ssize_t n = read(master, buf.data(), buf.size());
    if (n > 0) {
      r.out.append(buf.data(), static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO: the child closed the terminal
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The last line of the output, parsed as JSON.
inline nlohmann::json json_of(const CliRun& r) {
  const size_t start = r.out.rfind('\n', r.out.size() - 2);
  return nlohmann::json::parse(r.out.substr(start == std::string::npos ? 0 : start + 1));
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace cairn::testing_cli
