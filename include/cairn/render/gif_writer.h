// Animated GIF (GIF89a) written by cairn, streamed frame by frame to the file.
//
// Colours: one fixed global palette of 252 colours, a 6 x 7 x 6 cube of red, green and blue
// levels (green, to which the eye is most sensitive, gets the seventh), each pixel mapped to
// the nearest level per channel; no dithering, so a frame is a pure function of its image.
// The classic-control pictures use few colours and survive well; MuJoCo's shaded scenes
// show banding (use .mp4 for those). Frames are LZW-compressed (variable code size up to
// 12 bits, a clear code when the table is full), the animation loops forever
// (NETSCAPE2.0), and each frame lasts round(100 / fps) hundredths of a second (at least 2,
// as browsers play shorter delays slowly).
//
// Not thread-safe; one writer per file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "cairn/io/atomic_file.h"
#include "cairn/render/video_writer.h"

namespace cairn {

class GifWriter : public VideoWriter {
 public:
  // Opens the temporary file next to `path`. Throws cairn::Error if it cannot be created or
  // the size is outside [1, 16384] (GIF sizes are 16-bit; frames are bounded as Image is).
  GifWriter(const std::filesystem::path& path, int width, int height, double fps);
  void add_frame(const Image& frame) override;
  void finish() override;
  int64_t frames() const override { return frames_; }

  // The palette index of a colour (what add_frame maps each pixel to).
  static uint8_t palette_index(Rgb c);
  // The colour of a palette index (< 252; the rest of the 256 entries are black).
  static Rgb palette_colour(uint8_t index);

 private:
  AtomicFileWriter out_;
  int width_, height_;
  int delay_;  // hundredths of a second per frame
  int64_t frames_ = 0;
  std::vector<uint8_t> indices_, encoded_;
};

}  // namespace cairn
