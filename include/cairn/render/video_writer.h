// VideoWriter: frames in, one video file out, its format chosen by the file's extension:
//
//   .mp4  H.264 through Debian's ffmpeg program (mp4_writer.h)
//   .gif  animated GIF written by cairn (gif_writer.h)
//   .png  the first frame only, written by cairn (png_writer.h)
//
// Every writer writes to a temporary sibling of the final name and renames it into place
// when finish() succeeds (include/cairn/io/atomic_file.h), so the final name never holds
// a partial video; a writer destroyed without finish() leaves nothing behind.
//
// Not thread-safe; one writer per file.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "cairn/render/image.h"

namespace cairn {

class VideoWriter {
 public:
  virtual ~VideoWriter() = default;
  // Appends a frame, which must have the writer's width and height (cairn::Error
  // otherwise). Throws cairn::Error on a write failure.
  virtual void add_frame(const Image& frame) = 0;
  // Completes the file and moves it into place. Throws cairn::Error if no frame was added
  // or on any failure (the final name then keeps its old contents). Call at most once.
  virtual void finish() = 0;
  // Frames written so far (for .png: at most one is kept, but all are counted).
  virtual int64_t frames() const = 0;
  // Whether more frames change the file (false for .png once it has its frame).
  virtual bool wants_more() const { return true; }
};

enum class VideoFormat { mp4, gif, png };

// The format of `path` by its extension (case-insensitive). Throws cairn::Error naming the
// path and the extensions known if it is none of them.
VideoFormat video_format_of(const std::filesystem::path& path);

// A writer for `path` (format by video_format_of) of width x height frames at `fps` frames
// per second. The folder of `path` must exist. Throws cairn::Error on a bad extension, a
// frame rate outside (0, 1000], a missing folder, or (MP4) a missing ffmpeg, naming it.
std::unique_ptr<VideoWriter> open_video_writer(const std::filesystem::path& path, int width,
                                               int height, double fps);

}  // namespace cairn
