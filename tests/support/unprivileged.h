// Permission tests that also run as root. Root writes into read-only folders, so a test
// of what an unwritable folder does would have nothing to check when the suite runs as
// root (as CI does). Instead of skipping, such a test runs the operation as the
// unprivileged user `nobody` (uid/gid 65534): in a forked child for library calls, under
// setpriv(1) for the cairn program. Run as any other user, both run as that user.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <exception>
#include <functional>
#include <string>

namespace cairn::testing_io {

inline constexpr unsigned kNobody = 65534;

// Runs `body` as `nobody` (in a forked child when the test runs as root, in this process
// otherwise) and returns the message of the exception it threw, or "(no exception)".
// The child only reports back through a pipe; it never returns into the test.
inline std::string error_message_unprivileged(const std::function<void()>& body) {
  auto message_of = [&]() -> std::string {
    try {
      body();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(no exception)";
  };
  if (::geteuid() != 0) return message_of();
  int fds[2];
  if (::pipe(fds) != 0) return "(test harness: pipe failed)";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string message = "(test harness: cannot drop root)";
    if (::setgid(kNobody) == 0 && ::setuid(kNobody) == 0) message = message_of();
    const char* p = message.data();
    for (size_t left = message.size(); left > 0;) {
      const ssize_t n = ::write(fds[1], p, left);
      if (n <= 0) break;
      p += n;
      left -= static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string message;
  std::array<char, 4096> buf;
  for (ssize_t n; (n = ::read(fds[0], buf.data(), buf.size())) > 0;) {
    message.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return message;
}

// A shell prefix that runs the command after it as `nobody` when the test runs as root
// ("" otherwise), for permission tests of the cairn program.
inline std::string unprivileged_command_prefix() {
  return ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
}

}  // namespace cairn::testing_io
