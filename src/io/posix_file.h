// Thin POSIX file-descriptor helpers shared by the io sources. Every failure
// throws cairn::Error naming the path and the system's reason (strerror).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace cairn::io {

// The system's text for an errno value, e.g. "No such file or directory".
std::string errno_text(int error_number);

// "'<path>'" quoted for messages.
std::string quoted(const std::filesystem::path& path);

// Owns a file descriptor and closes it on destruction (errors on that close are
// ignored; call close() to observe them).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now; throws cairn::Error naming `path` if close() reports an error.
  void close(const std::filesystem::path& path);

 private:
  int fd_ = -1;
};

// Opens a regular file for reading (symbolic links followed). Throws if it is missing,
// unreadable, or not a regular file (a directory, named pipe, device or socket: checked
// without blocking, so a pipe with no writer cannot hang the caller). Every reader of
// files goes through here.
UniqueFd open_for_reading(const std::filesystem::path& path);

// Size in bytes of the open file.
uint64_t file_size(int fd, const std::filesystem::path& path);

// Reads up to out.size() bytes, retrying on EINTR; returns 0 only at end of file.
size_t read_some(int fd, std::span<std::byte> out, const std::filesystem::path& path);

// Reads exactly out.size() bytes or throws (the message says the file ended early).
void read_exact(int fd, std::span<std::byte> out, const std::filesystem::path& path);

// Writes all of `bytes`, retrying on EINTR and short writes.
void write_all(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path);

// fsync(2) on the descriptor.
void sync(int fd, const std::filesystem::path& path);

}  // namespace cairn::io
