#include "cairn/render/mp4_writer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cairn/error.h"
#include "cairn/io/atomic_file.h"

extern char** environ;

namespace cairn {
namespace {

std::string format_fps(double fps) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", fps);
  return buf;
}

// Ignores SIGPIPE for its lifetime, restoring the previous disposition.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &previous_, nullptr); }

 private:
  struct sigaction previous_ {};
};

}  // namespace

std::string Mp4Writer::find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

Mp4Writer::Mp4Writer(const std::filesystem::path& path, int width, int height, double fps)
    : path_(path), width_(width), height_(height) {
  const std::string ffmpeg = find_on_path("ffmpeg");
  if (ffmpeg.empty()) {
    throw Error("writing '" + path.string() +
                "' needs the ffmpeg program, which is not on PATH (Debian package ffmpeg; "
                "scripts/setup.sh build installs it); or write a .gif, which needs nothing");
  }
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(folder)) {
    throw Error("cannot write '" + path.string() + "': folder '" + folder.string() +
                "' does not exist");
  }
  // Temporary names as atomic_file.h makes them: '.' first, ".tmp-" inside; the .mp4 suffix
  // tells ffmpeg the container.
  temp_path_ =
      folder / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + ".mp4");
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  std::vector<std::string> args = {
      ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
      "-s", size, "-r", format_fps(fps), "-i", "-",
      // yuv420p needs even sizes.
      "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset",
      "medium", "-crf", "20", "-movflags", "+faststart", temp_path_.string()};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, ffmpeg.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    pid_ = -1;
    throw Error("cannot start '" + ffmpeg + "': " + std::strerror(rc));
  }
  pipe_ = fds[1];
}

Mp4Writer::~Mp4Writer() {
  if (!done_) {
    stop();
    std::error_code ignored;
    std::filesystem::remove(temp_path_, ignored);
  }
}

void Mp4Writer::stop() {
  if (pipe_ >= 0) ::close(pipe_);
  pipe_ = -1;
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

void Mp4Writer::add_frame(const Image& frame) {
  if (frame.width() != width_ || frame.height() != height_) {
    throw Error("MP4 frame of " + std::to_string(frame.width()) + "x" +
                std::to_string(frame.height()) + " in a " + std::to_string(width_) + "x" +
                std::to_string(height_) + " video");
  }
  if (pipe_ < 0) throw Error("'" + path_.string() + "': frame added after finish()");
  IgnoreSigpipe guard;
  const auto bytes = frame.bytes();
  size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::write(pipe_, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error("writing '" + path_.string() + "': ffmpeg stopped reading frames (" +
                  std::strerror(errno) + "; its messages are above)");
    }
    at += static_cast<size_t>(n);
  }
  ++frames_;
}

void Mp4Writer::finish() {
  if (frames_ == 0) throw Error("'" + path_.string() + "': a video needs at least one frame");
  ::close(pipe_);
  pipe_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error("ffmpeg failed writing '" + path_.string() + "' (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                "; its messages are above)");
  }
  const int fd = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw Error("cannot sync '" + temp_path_.string() + "': " + why);
  }
  ::close(fd);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw Error("cannot rename '" + temp_path_.string() + "' to '" + path_.string() +
                "': " + std::strerror(errno));
  }
  done_ = true;
  fsync_directory(path_.has_parent_path() ? path_.parent_path() : ".");
}

}  // namespace cairn
