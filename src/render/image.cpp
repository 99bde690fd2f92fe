#include "cairn/render/image.h"

#include <string>

#include "cairn/error.h"

namespace cairn {

Image::Image(int width, int height, Rgb fill) : width_(width), height_(height) {
  if (width < 1 || width > 16384 || height < 1 || height > 16384) {
    throw Error("image size " + std::to_string(width) + "x" + std::to_string(height) +
                " is outside [1, 16384] x [1, 16384]");
  }
  pixels_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  this->fill(fill);
}

void Image::fill(Rgb c) {
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = c.r;
    pixels_[i + 1] = c.g;
    pixels_[i + 2] = c.b;
  }
}

}  // namespace cairn
