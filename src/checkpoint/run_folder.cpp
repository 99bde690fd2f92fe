#include "cairn/checkpoint/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "io/posix_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using io::errno_text;
using io::quoted;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The entries that make a folder hold a run, in the order found.
std::vector<std::string> run_entries(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return found;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == kLatestFile || name == kMetricsCsvFile || name == kMetricsJsonlFile ||
        is_checkpoint_folder_name(name)) {
      found.push_back(name);
    }
  }
  if (ec) throw Error("cannot list run folder " + quoted(dir) + ": " + ec.message());
  std::sort(found.begin(), found.end());
  return found;
}

// The temporaries and half-deleted folders of the run folder's own writers (see the header).
bool is_debris_name(const std::string& name) {
  if (starts_with(name, std::string(".deleting-") + kCheckpointFolderPrefix)) return true;
  if (name == std::string(kMetricsCsvFile) + ".tmp" ||
      name == std::string(kMetricsJsonlFile) + ".tmp") {
    return true;  // cairn 0.1.0
  }
  for (const std::string file : {kLatestFile, kMetricsCsvFile, kMetricsJsonlFile,
                                 "learning_curve.svg", "learning_curve.png"}) {
    if (starts_with(name, "." + file + ".tmp-")) return true;
  }
  // write_directory_atomically's staging folder: ".checkpoint_<digits>.tmp-<...>".
  if (!starts_with(name, std::string(".") + kCheckpointFolderPrefix)) return false;
  const size_t tmp = name.find(".tmp-");
  return tmp != std::string::npos && is_checkpoint_folder_name(name.substr(1, tmp - 1));
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

bool is_checkpoint_folder_name(std::string_view name) {
  const std::string_view prefix = kCheckpointFolderPrefix;
  return name.starts_with(prefix) && name.size() > prefix.size() &&
         std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool holds_run(const fs::path& dir) {
  return !run_entries(dir).empty();
}

RunLock::RunLock(const fs::path& run_dir) : run_dir_(run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir_, ec);
  if (ec || !fs::is_directory(run_dir_)) {
    throw Error("cannot create run folder " + quoted(run_dir_) + ": " +
                (ec ? ec.message() : std::string("a non-folder with that name exists")));
  }
  const fs::path lock_file = run_dir_ / kRunLockFile;
  do {
    fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) {
    throw Error("cannot write run folder " + quoted(run_dir_) + ": cannot create its lock file " +
                quoted(lock_file) + ": " + errno_text(errno));
  }
  int rc;
  do {
    rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error_number = errno;
    ::close(fd_);
    fd_ = -1;
    if (error_number == EWOULDBLOCK) {
      const std::optional<long> pid = holder(run_dir_);
      throw Error(
          "run folder " + quoted(run_dir_) + " is in use by " +
          (pid && *pid > 0 ? "process " + std::to_string(*pid) : std::string("another process")) +
          ", which is writing it (one writer per run folder; wait for it to end or "
          "choose another folder)");
    }
    throw Error("cannot lock run folder " + quoted(run_dir_) + " (" + quoted(lock_file) +
                "): " + errno_text(error_number));
  }
  // Recorded for the message a second writer gets; the lock itself does not depend on it.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error_number = errno;
    ::close(fd_);
    fd_ = -1;
    throw Error("cannot write the lock file " + quoted(lock_file) + ": " +
                errno_text(error_number));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

RunLock::RunLock(RunLock&& other) noexcept : run_dir_(std::move(other.run_dir_)), fd_(other.fd_) {
  other.fd_ = -1;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    run_dir_ = std::move(other.run_dir_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

std::optional<long> RunLock::holder(const fs::path& run_dir) {
  const fs::path lock_file = run_dir / kRunLockFile;
  const int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<long> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    pid = n > 0 ? std::strtol(text, nullptr, 10) : 0L;
  }
  ::close(fd);  // also releases the shared lock if it was taken
  return pid;
}

RunLock open_run_folder(const fs::path& run_dir, RunFolderUse use) {
  RunLock lock(run_dir);
  const std::vector<std::string> found = run_entries(run_dir);
  if (!found.empty() && use == RunFolderUse::kNewRun) {
    const bool resumable = std::find(found.begin(), found.end(), kLatestFile) != found.end();
    throw Error("run folder " + quoted(run_dir) + " already holds a run (" + joined(found) + "): " +
                (resumable ? "continue it with 'cairn train --resume " + run_dir.string() +
                                 "', choose another folder, or pass --overwrite to replace it"
                           : std::string("it has no complete checkpoint to resume; choose "
                                         "another folder, or pass --overwrite to replace it")));
  }
  if (!found.empty() && use == RunFolderUse::kReplaceRun) {
    // The fresh folder is locked before it takes the name, and the old one stays locked
    // until it is gone, so no other writer ever sees either unlocked.
    std::optional<RunLock> fresh;
    write_directory_atomically(
        run_dir, [&](const fs::path& staging) { fresh.emplace(staging); },
        /*replace_existing=*/true);
    fresh->run_dir_ = lock.run_dir_;
    lock = std::move(*fresh);
  }
  remove_run_folder_debris(lock);
  return lock;
}

int remove_run_folder_debris(const RunLock& lock) {
  const fs::path& dir = lock.run_dir();
  std::vector<fs::path> debris;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (is_debris_name(it->path().filename().string())) debris.push_back(it->path());
  }
  if (ec) throw Error("cannot list run folder " + quoted(dir) + ": " + ec.message());
  for (const fs::path& p : debris) {
    fs::remove_all(p, ec);
    if (ec) {
      throw Error("cannot remove " + quoted(p) + ", left by an interrupted run: " + ec.message());
    }
  }
  return static_cast<int>(debris.size());
}

}  // namespace cairn
