// MP4 (H.264, yuv420p) through the ffmpeg program (Debian package ffmpeg): raw rgb24 frames
// are piped to
//
//   ffmpeg -f rawvideo -pix_fmt rgb24 -s WxH -r FPS -i - -pix_fmt yuv420p -c:v libx264 ...
//
// which writes a temporary sibling of the final name; finish() waits for ffmpeg, fsyncs
// the file, renames it into place and fsyncs the folder (as atomic_file.h does). yuv420p
// needs even sizes, so an odd width or height is padded by one black pixel row or column
// (ffmpeg's pad filter). ffmpeg's own errors go to standard error.
//
// SIGPIPE is ignored while a frame is written, so that an ffmpeg that died is reported as
// an error instead of ending the process. Not thread-safe; one writer per file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "cairn/render/video_writer.h"

namespace cairn {

class Mp4Writer : public VideoWriter {
 public:
  // Starts ffmpeg. Throws cairn::Error if ffmpeg is not on PATH (naming the package), or
  // the temporary file's folder does not exist.
  Mp4Writer(const std::filesystem::path& path, int width, int height, double fps);
  // Stops a running ffmpeg and removes the temporary file (when finish() did not succeed).
  ~Mp4Writer() override;
  void add_frame(const Image& frame) override;
  void finish() override;
  int64_t frames() const override { return frames_; }

  // The full path of `program` found on PATH, or "" if it is not there.
  static std::string find_on_path(const std::string& program);

 private:
  void stop();

  std::filesystem::path path_, temp_path_;
  int width_, height_;
  pid_t pid_ = -1;
  int pipe_ = -1;
  bool done_ = false;
  int64_t frames_ = 0;
};

}  // namespace cairn
