#include "cairn/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "cairn/error.h"
#include "io/posix_file.h"

namespace cairn {
namespace fs = std::filesystem;
using io::errno_text;
using io::quoted;

namespace {

constexpr size_t kWriteBufferSize = size_t{64} << 10;

fs::path folder_of(const fs::path& path) {
  fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// A name unlikely to collide between processes and threads; callers still use
// O_EXCL / mkdir and retry, so a collision costs a retry, never correctness.
fs::path temp_sibling(const fs::path& path, unsigned attempt) {
  static std::atomic<uint64_t> counter{0};
  const auto now =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string suffix = ".tmp-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter.fetch_add(1)) + "-" +
                             std::to_string((now ^ (uint64_t{attempt} << 40)) % 1000000007ULL);
  std::string name = ".";  // appended, not "." + ..., to avoid a GCC 12 -Wrestrict false positive
  name += path.filename().string();
  name += suffix;
  return path.parent_path() / name;
}

void require_file_name(const fs::path& path, const char* what) {
  if (path.filename().empty() || path.filename() == "." || path.filename() == "..") {
    throw Error(std::string(what) + ": " + quoted(path) + " does not name a file");
  }
}

void sync_file_at(const fs::path& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw Error("cannot open " + quoted(path) + " to fsync it: " + errno_text(errno));
  io::UniqueFd owned(fd);
  io::sync(owned.get(), path);
  owned.close(path);
}

// fsyncs every regular file and folder below `root`, then `root` itself.
void sync_tree(const fs::path& root) {
  std::error_code ec;
  std::vector<fs::path> folders;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::file_status status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_regular_file(status)) {
      sync_file_at(it->path());
    } else if (fs::is_directory(status)) {
      folders.push_back(it->path());
    }
  }
  if (ec) throw Error("cannot list " + quoted(root) + " to fsync it: " + ec.message());
  // Deepest first, so each folder is synced after the entries created in it.
  for (auto it = folders.rbegin(); it != folders.rend(); ++it) fsync_directory(*it);
  fsync_directory(root);
}

bool is_empty_directory(const fs::path& dir) {
  std::error_code ec;
  const bool empty = fs::is_empty(dir, ec);
  if (ec) throw Error("cannot list " + quoted(dir) + ": " + ec.message());
  return empty;
}

void remove_tree_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

}  // namespace

std::vector<std::byte> read_file(const fs::path& path) {
  io::UniqueFd fd = io::open_for_reading(path);
  const uint64_t size = io::file_size(fd.get(), path);
  std::vector<std::byte> bytes(static_cast<size_t>(size));
  io::read_exact(fd.get(), bytes, path);
  // A file that grew while being read is reported rather than silently cut.
  std::byte extra[1];
  if (io::read_some(fd.get(), extra, path) != 0) {
    throw Error("cannot read " + quoted(path) + ": file grew while being read");
  }
  return bytes;
}

void fsync_directory(const fs::path& dir) {
  int fd;
  do {
    fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    throw Error("cannot open folder " + quoted(dir) + " to fsync it: " + errno_text(errno));
  }
  io::UniqueFd owned(fd);
  io::sync(owned.get(), dir);
  owned.close(dir);
}

AtomicFileWriter::AtomicFileWriter(fs::path path) : path_(std::move(path)) {
  require_file_name(path_, "cannot write file atomically");
  for (unsigned attempt = 0;; ++attempt) {
    temp_path_ = temp_sibling(path_, attempt);
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) break;
    const int error_number = errno;
    if ((error_number == EEXIST || error_number == EINTR) && attempt < 100) continue;
    throw Error("cannot write " + quoted(path_) + ": cannot create temporary file " +
                quoted(temp_path_) + ": " + errno_text(error_number));
  }
  buffer_.resize(kWriteBufferSize);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::flush() {
  if (buffered_ == 0) return;
  io::write_all(fd_, std::span<const std::byte>(buffer_.data(), buffered_), temp_path_);
  buffered_ = 0;
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  if (committed_ || fd_ < 0) {
    throw Error("cannot write " + quoted(path_) + ": the file was already committed");
  }
  if (bytes.empty()) return;  // an empty span may carry a null pointer, which memcpy forbids
  bytes_written_ += bytes.size();
  if (buffered_ + bytes.size() <= buffer_.size()) {
    std::memcpy(buffer_.data() + buffered_, bytes.data(), bytes.size());
    buffered_ += bytes.size();
    return;
  }
  flush();
  if (bytes.size() < buffer_.size()) {
    std::memcpy(buffer_.data(), bytes.data(), bytes.size());
    buffered_ = bytes.size();
    return;
  }
  io::write_all(fd_, bytes, temp_path_);
}

void AtomicFileWriter::write(std::string_view text) {
  write(std::as_bytes(std::span(text)));
}

void AtomicFileWriter::commit() {
  if (committed_ || fd_ < 0) {
    throw Error("cannot commit " + quoted(path_) + ": the file was already committed");
  }
  flush();
  {
    io::UniqueFd owned(fd_);
    fd_ = -1;
    io::sync(owned.get(), temp_path_);
    owned.close(temp_path_);
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw Error("cannot write " + quoted(path_) + ": cannot rename temporary file " +
                quoted(temp_path_) + " into place: " + errno_text(errno));
  }
  committed_ = true;
  fsync_directory(folder_of(path_));
}

void write_file_atomically(const fs::path& path, std::span<const std::byte> bytes) {
  AtomicFileWriter out(path);
  out.write(bytes);
  out.commit();
}

void write_file_atomically(const fs::path& path, std::string_view text) {
  write_file_atomically(path, std::as_bytes(std::span(text)));
}

void write_directory_atomically(const fs::path& requested_dir,
                                const std::function<void(const fs::path& staging)>& fill,
                                bool replace_existing) {
  // "ckpt/" names the folder "ckpt".
  const fs::path dir = requested_dir.has_filename() || !requested_dir.has_parent_path()
                           ? requested_dir
                           : requested_dir.parent_path();
  require_file_name(dir, "cannot write folder atomically");
  const fs::path parent = folder_of(dir);

  std::error_code ec;
  const fs::file_status existing = fs::symlink_status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw Error("cannot write folder " + quoted(dir) + ": " + ec.message());
  }
  const bool exists = fs::exists(existing);
  if (exists && !fs::is_directory(existing)) {
    throw Error("cannot write folder " + quoted(dir) + ": a non-folder with that name exists");
  }
  const bool replace_non_empty = exists && !is_empty_directory(dir);
  if (replace_non_empty && !replace_existing) {
    throw Error("cannot write folder " + quoted(dir) +
                ": it already exists and is not empty (pass replace_existing to replace it)");
  }

  fs::path staging;
  for (unsigned attempt = 0;; ++attempt) {
    staging = temp_sibling(dir, attempt);
    if (::mkdir(staging.c_str(), 0777) == 0) break;
    const int error_number = errno;
    if ((error_number == EEXIST || error_number == EINTR) && attempt < 100) continue;
    throw Error("cannot write folder " + quoted(dir) + ": cannot create temporary folder " +
                quoted(staging) + ": " + errno_text(error_number));
  }

  try {
    try {
      fill(staging);
    } catch (const fs::filesystem_error& e) {
      throw Error("cannot write folder " + quoted(dir) + ": " + e.what());
    }
    sync_tree(staging);

    if (!replace_non_empty) {
      if (::rename(staging.c_str(), dir.c_str()) != 0) {
        throw Error("cannot write folder " + quoted(dir) + ": cannot rename " + quoted(staging) +
                    " into place: " + errno_text(errno));
      }
      fsync_directory(parent);
      return;
    }

#if defined(__linux__) && defined(RENAME_EXCHANGE)
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
      fsync_directory(parent);
      remove_tree_quietly(staging);  // now holds the old contents
      return;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
      throw Error("cannot replace folder " + quoted(dir) + ": cannot exchange it with " +
                  quoted(staging) + ": " + errno_text(errno));
    }
#endif
    // Fallback without an atomic exchange: move the old folder aside first, so a
    // crash in between leaves it recoverable under its temporary name.
    fs::path old_aside;
    for (unsigned attempt = 0;; ++attempt) {
      old_aside = temp_sibling(dir, attempt + 1000);
      if (!fs::exists(old_aside)) break;
    }
    if (::rename(dir.c_str(), old_aside.c_str()) != 0) {
      throw Error("cannot replace folder " + quoted(dir) + ": cannot move it aside to " +
                  quoted(old_aside) + ": " + errno_text(errno));
    }
    if (::rename(staging.c_str(), dir.c_str()) != 0) {
      const int error_number = errno;
      ::rename(old_aside.c_str(), dir.c_str());  // best effort: put the old folder back
      throw Error("cannot replace folder " + quoted(dir) + ": cannot rename " + quoted(staging) +
                  " into place: " + errno_text(error_number));
    }
    fsync_directory(parent);
    remove_tree_quietly(old_aside);
  } catch (...) {
    remove_tree_quietly(staging);
    throw;
  }
}

}  // namespace cairn
