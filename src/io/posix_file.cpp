#include "io/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cairn/error.h"

namespace cairn::io {

std::string errno_text(int error_number) {
  // std::strerror is not guaranteed thread-safe; strerror_r (GNU variant under
  // _GNU_SOURCE, which g++ and clang++ define) is.
  char buffer[256];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return std::string(strerror_r(error_number, buffer, sizeof buffer));
#else
  if (strerror_r(error_number, buffer, sizeof buffer) != 0) {
    return "error " + std::to_string(error_number);
  }
  return std::string(buffer);
#endif
}

std::string quoted(const std::filesystem::path& path) {
  // Appending (rather than "'" + s + "'") sidesteps a GCC 12 -Wrestrict false positive.
  std::string out;
  out.reserve(path.native().size() + 2);
  out.push_back('\'');
  out.append(path.native());
  out.push_back('\'');
  return out;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void UniqueFd::close(const std::filesystem::path& path) {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  // Linux closes the descriptor even when close() fails (including EINTR), so
  // it must not be retried.
  if (::close(fd) != 0) {
    throw Error("cannot close " + quoted(path) + ": " + errno_text(errno));
  }
}

namespace {

// What a non-regular file is, for messages.
const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

UniqueFd open_for_reading(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever.
  // The type is checked on the open descriptor (no race with a rename), then blocking
  // reads are restored for the regular file.
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    throw Error("cannot open " + quoted(path) + " for reading: " + errno_text(errno));
  }
  UniqueFd owned(fd);
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    throw Error("cannot stat " + quoted(path) + ": " + errno_text(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    throw Error("cannot read " + quoted(path) + ": it is " + file_type_name(info.st_mode) +
                ", not a regular file");
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    throw Error("cannot read " + quoted(path) + ": " + errno_text(errno));
  }
  return owned;
}

uint64_t file_size(int fd, const std::filesystem::path& path) {
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    throw Error("cannot stat " + quoted(path) + ": " + errno_text(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    throw Error("cannot read " + quoted(path) + ": not a regular file");
  }
  return static_cast<uint64_t>(info.st_size);
}

size_t read_some(int fd, std::span<std::byte> out, const std::filesystem::path& path) {
  // Linux transfers at most 0x7ffff000 bytes per call; larger requests are capped.
  const size_t request = std::min<size_t>(out.size(), size_t{1} << 30);
  for (;;) {
    const ssize_t n = ::read(fd, out.data(), request);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw Error("cannot read " + quoted(path) + ": " + errno_text(errno));
  }
}

void read_exact(int fd, std::span<std::byte> out, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < out.size()) {
    const size_t n = read_some(fd, out.subspan(done), path);
    if (n == 0) {
      throw Error("cannot read " + quoted(path) + ": file ended after " + std::to_string(done) +
                  " of the " + std::to_string(out.size()) +
                  " bytes expected (was it truncated while being read?)");
    }
    done += n;
  }
}

void write_all(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const size_t request = std::min<size_t>(bytes.size(), size_t{1} << 30);
    const ssize_t n = ::write(fd, bytes.data(), request);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + quoted(path) + ": " + errno_text(errno));
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

void sync(int fd, const std::filesystem::path& path) {
  int result;
  do {
    result = ::fsync(fd);
  } while (result != 0 && errno == EINTR);
  if (result != 0) throw Error("cannot fsync " + quoted(path) + ": " + errno_text(errno));
}

}  // namespace cairn::io
