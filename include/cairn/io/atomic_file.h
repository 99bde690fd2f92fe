// Crash-safe file and folder writes, and whole-file reads.
//
// A file written with AtomicFileWriter or write_file_atomically either keeps its
// old contents or has the complete new contents, never a partial write, even if
// the process or machine dies: the bytes go to a temporary sibling (same
// folder, so the final rename(2) stays within one file system), are fsynced,
// renamed over the final name, and the folder is fsynced so the rename itself
// is durable. write_directory_atomically does the same for a whole folder
// (checkpoints are folders).
//
// Temporary names start with '.' and contain ".tmp-", so listings can ignore
// them; a crash can leave one behind, never a half-written final name.
//
// POSIX only. Every failure throws cairn::Error naming the path and the
// system's reason (strerror text). Functions are thread-safe when they work on
// different paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace cairn {

// Reads the whole regular file at `path` (symbolic links followed). Allocates the
// returned buffer (the file's size). Throws cairn::Error if the file does not exist,
// cannot be read, or is not a regular file (a directory, named pipe, device or socket;
// checked without blocking on a pipe). For small untrusted text files, use
// read_text_file (text_file.h), which also bounds the size.
std::vector<std::byte> read_file(const std::filesystem::path& path);

// fsync(2)s the folder `dir`, making renames and creations inside it durable.
// Throws cairn::Error if it cannot be opened or synced.
void fsync_directory(const std::filesystem::path& dir);

// Streams a file into place atomically.
//
//   AtomicFileWriter out("weights.safetensors");
//   out.write(header);
//   out.write(data);
//   out.commit();   // without this, the destructor discards everything
//
// The constructor creates the temporary sibling (mode 0666 minus umask) in the
// folder of `path`, which must exist. write() buffers small writes (one 64 KiB
// buffer, allocated at construction). commit() flushes, fsyncs the file, renames
// it over `path` (replacing any existing file) and fsyncs the folder. If the
// object is destroyed without a successful commit(), the temporary is removed
// and `path` is untouched. Not copyable or movable; not thread-safe.
class AtomicFileWriter {
 public:
  // Throws cairn::Error if the temporary file cannot be created (for example the
  // folder does not exist or is not writable).
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends bytes. Throws cairn::Error on a write failure (e.g. disk full) or if
  // called after commit(); the temporary is then removed by the destructor.
  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);

  // Makes the written bytes the contents of path(). Throws cairn::Error if a
  // flush, fsync, close or rename fails (path() then keeps its old contents) or
  // if the folder fsync after the rename fails (the new contents are in place
  // but may not survive a power loss). Call at most once.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  // The temporary sibling being written (removed or renamed after commit()).
  const std::filesystem::path& temp_path() const { return temp_path_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void flush();

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  std::vector<std::byte> buffer_;
  size_t buffered_ = 0;
  uint64_t bytes_written_ = 0;
};

// Writes `bytes` (or `text`) to `path` atomically, as AtomicFileWriter does.
// Throws cairn::Error on any failure; `path` then keeps its old contents.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

// Creates the folder `dir` atomically with contents produced by `fill`.
//
// `fill` receives an empty temporary sibling folder and writes everything into
// it (plain writes suffice: every regular file and folder below it is then
// fsynced). The temporary folder is then renamed to `dir` and the parent is
// fsynced, so `dir` appears complete or not at all.
//
// If `dir` exists: an empty folder is replaced; a non-empty one is refused
// (cairn::Error, checked before `fill` runs) unless `replace_existing`, in which
// case the old folder is swapped out atomically (renameat2 RENAME_EXCHANGE where
// the file system supports it, otherwise two renames with a brief window in
// which `dir` is absent but the old folder survives under a temporary name) and
// then deleted. A non-folder at `dir` is always refused.
//
// If `fill` throws, or any step fails, the temporary folder is removed, `dir` is
// untouched, and the exception propagates (std::filesystem errors are rethrown
// as cairn::Error naming the path). The parent of `dir` must exist.
void write_directory_atomically(
    const std::filesystem::path& dir,
    const std::function<void(const std::filesystem::path& staging)>& fill,
    bool replace_existing = false);

}  // namespace cairn
