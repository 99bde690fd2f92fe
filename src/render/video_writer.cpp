#include "cairn/render/video_writer.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cairn/error.h"
#include "cairn/render/gif_writer.h"
#include "cairn/render/mp4_writer.h"
#include "cairn/render/png_writer.h"

namespace cairn {
namespace {

// Keeps the first frame and writes it as a PNG.
class PngFrameWriter : public VideoWriter {
 public:
  PngFrameWriter(std::filesystem::path path, int width, int height)
      : path_(std::move(path)), width_(width), height_(height) {
    const std::filesystem::path folder = path_.has_parent_path() ? path_.parent_path() : ".";
    if (!std::filesystem::is_directory(folder)) {
      throw Error("cannot write '" + path_.string() + "': folder '" + folder.string() +
                  "' does not exist");
    }
  }
  void add_frame(const Image& frame) override {
    if (frame.width() != width_ || frame.height() != height_) {
      throw Error("PNG frame of " + std::to_string(frame.width()) + "x" +
                  std::to_string(frame.height()) + " for a " + std::to_string(width_) + "x" +
                  std::to_string(height_) + " picture");
    }
    if (frames_++ == 0) first_ = frame;
  }
  void finish() override {
    if (frames_ == 0) throw Error("'" + path_.string() + "': no frame to write");
    write_png(path_, first_);
  }
  int64_t frames() const override { return frames_; }
  bool wants_more() const override { return frames_ == 0; }

 private:
  std::filesystem::path path_;
  int width_, height_;
  int64_t frames_ = 0;
  Image first_;
};

}  // namespace

VideoFormat video_format_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".mp4") return VideoFormat::mp4;
  if (ext == ".gif") return VideoFormat::gif;
  if (ext == ".png") return VideoFormat::png;
  throw Error("'" + path.string() + "': unknown video format '" + ext +
              "' (expected .mp4, .gif, or .png for the first frame)");
}

std::unique_ptr<VideoWriter> open_video_writer(const std::filesystem::path& path, int width,
                                               int height, double fps) {
  const VideoFormat format = video_format_of(path);
  if (!(fps > 0 && fps <= 1000)) {
    throw Error("frame rate " + std::to_string(fps) + " is outside (0, 1000]");
  }
  switch (format) {
    case VideoFormat::mp4:
      return std::make_unique<Mp4Writer>(path, width, height, fps);
    case VideoFormat::gif:
      return std::make_unique<GifWriter>(path, width, height, fps);
    case VideoFormat::png:
      return std::make_unique<PngFrameWriter>(path, width, height);
  }
  throw Error("unreachable video format");
}

}  // namespace cairn
