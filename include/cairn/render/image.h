// Image: an RGB picture, 8 bits per channel, the unit every frame source draws and every
// video writer takes.
//
// Pixels are stored row by row from the top-left corner, three bytes (red, green, blue) per
// pixel, with no padding: the layout ffmpeg's rgb24 and PNG's colour type 2 read directly.
//
// Thread safety: an Image is a value; distinct images may be used on distinct threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cairn {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

class Image {
 public:
  Image() = default;
  // A width x height picture filled with `fill`. Throws cairn::Error unless both sizes are in
  // [1, 16384]. Allocates width * height * 3 bytes.
  Image(int width, int height, Rgb fill = {255, 255, 255});

  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return pixels_.empty(); }

  // The pixel at column x, row y (0 is the top row). Unchecked: 0 <= x < width, 0 <= y < height.
  Rgb at(int x, int y) const {
    const uint8_t* p = &pixels_[index(x, y)];
    return {p[0], p[1], p[2]};
  }
  void set(int x, int y, Rgb c) {
    uint8_t* p = &pixels_[index(x, y)];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void fill(Rgb c);

  // All pixels, width * height * 3 bytes, top row first.
  std::span<const uint8_t> bytes() const { return pixels_; }
  std::span<uint8_t> mutable_bytes() { return pixels_; }

  friend bool operator==(const Image&, const Image&) = default;

 private:
  size_t index(int x, int y) const {
    return (static_cast<size_t>(y) * static_cast<size_t>(width_) + static_cast<size_t>(x)) * 3;
  }

  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

}  // namespace cairn
