#include "cairn/render/gif_writer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "cairn/error.h"

namespace cairn {
namespace {

constexpr int kRedLevels = 6, kGreenLevels = 7, kBlueLevels = 6;

uint8_t level(uint8_t v, int levels) {
  return static_cast<uint8_t>((v * (levels - 1) + 127) / 255);  // nearest level
}
uint8_t level_value(int l, int levels) {
  return static_cast<uint8_t>((l * 255 + (levels - 1) / 2) / (levels - 1));
}

void put16(std::vector<uint8_t>& out, int v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}

// GIF's LZW with 8-bit pixels: codes of 9 to 12 bits, written least significant bit first,
// the table cleared when it is full. The code size grows after the code at which the next
// free table entry reaches 2^size, as the GIF decoders (which add each entry one code
// late) expect.
class LzwEncoder {
 public:
  explicit LzwEncoder(std::vector<uint8_t>& out) : out_(out) {}

  void encode(std::span<const uint8_t> pixels) {
    reset();
    emit(kClear);
    int prefix = pixels[0];
    for (size_t i = 1; i < pixels.size(); ++i) {
      const uint8_t c = pixels[i];
      const int32_t key = (prefix << 8) | c;
      size_t slot = static_cast<size_t>(key) % kHashSize;
      bool found = false;
      while (keys_[slot] != -1) {
        if (keys_[slot] == key) {
          prefix = codes_[slot];
          found = true;
          break;
        }
        slot = (slot + 1) % kHashSize;
      }
      if (found) continue;
      emit(prefix);
      if (next_ >= kMaxCode) {
        emit(kClear);
        reset();
      } else {
        keys_[slot] = key;
        codes_[slot] = static_cast<int16_t>(next_++);
      }
      prefix = c;
    }
    emit(prefix);
    emit(kEnd);
    if (nbits_ > 0) out_.push_back(static_cast<uint8_t>(bits_));
  }

 private:
  static constexpr int kClear = 256, kEnd = 257, kMaxCode = 4095;
  static constexpr size_t kHashSize = 5003;  // prime, > 4096 entries

  void reset() {
    keys_.fill(-1);
    next_ = kEnd + 1;
    width_ = 9;
  }
  void emit(int code) {
    bits_ |= static_cast<uint32_t>(code) << nbits_;
    nbits_ += width_;
    while (nbits_ >= 8) {
      out_.push_back(static_cast<uint8_t>(bits_ & 0xFF));
      bits_ >>= 8;
      nbits_ -= 8;
    }
    if (next_ >= (1 << width_) && width_ < 12) ++width_;
  }

  std::vector<uint8_t>& out_;
  std::array<int32_t, kHashSize> keys_{};
  std::array<int16_t, kHashSize> codes_{};
  int next_ = kEnd + 1, width_ = 9;
  uint32_t bits_ = 0;
  int nbits_ = 0;
};

}  // namespace

uint8_t GifWriter::palette_index(Rgb c) {
  return static_cast<uint8_t>((level(c.r, kRedLevels) * kGreenLevels + level(c.g, kGreenLevels)) *
                                  kBlueLevels +
                              level(c.b, kBlueLevels));
}

Rgb GifWriter::palette_colour(uint8_t index) {
  if (index >= kRedLevels * kGreenLevels * kBlueLevels) return {0, 0, 0};
  const int b = index % kBlueLevels, g = (index / kBlueLevels) % kGreenLevels,
            r = index / (kBlueLevels * kGreenLevels);
  return {level_value(r, kRedLevels), level_value(g, kGreenLevels), level_value(b, kBlueLevels)};
}

GifWriter::GifWriter(const std::filesystem::path& path, int width, int height, double fps)
    : out_(path), width_(width), height_(height) {
  if (width < 1 || width > 16384 || height < 1 || height > 16384) {
    throw Error("GIF size " + std::to_string(width) + "x" + std::to_string(height) +
                " is outside [1, 16384] x [1, 16384]");
  }
  if (!(fps > 0) || !std::isfinite(fps)) throw Error("GIF frame rate must be positive");
  delay_ = std::max(2, static_cast<int>(std::lround(100.0 / fps)));
  std::vector<uint8_t> head = {'G', 'I', 'F', '8', '9', 'a'};
  put16(head, width);
  put16(head, height);
  head.push_back(0xF7);  // global colour table of 2^(7+1) entries, 8 bits per primary
  head.push_back(0);     // background colour index
  head.push_back(0);     // no aspect ratio
  for (int i = 0; i < 256; ++i) {
    const Rgb c = palette_colour(static_cast<uint8_t>(i));
    head.insert(head.end(), {c.r, c.g, c.b});
  }
  // NETSCAPE2.0 application extension: loop forever.
  head.insert(head.end(), {0x21, 0xFF, 0x0B, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0',
                           0x03, 0x01, 0x00, 0x00, 0x00});
  out_.write(std::as_bytes(std::span<const uint8_t>(head)));
  indices_.resize(static_cast<size_t>(width) * static_cast<size_t>(height));
}

void GifWriter::add_frame(const Image& frame) {
  if (frame.width() != width_ || frame.height() != height_) {
    throw Error("GIF frame of " + std::to_string(frame.width()) + "x" +
                std::to_string(frame.height()) + " in a " + std::to_string(width_) + "x" +
                std::to_string(height_) + " video");
  }
  const auto px = frame.bytes();
  for (size_t i = 0; i < indices_.size(); ++i)
    indices_[i] = palette_index({px[3 * i], px[3 * i + 1], px[3 * i + 2]});
  std::vector<uint8_t> block = {0x21, 0xF9, 0x04, 0x00};  // graphic control: no transparency
  put16(block, delay_);
  block.insert(block.end(), {0x00, 0x00});
  block.push_back(0x2C);  // image descriptor: the whole screen, no local table
  put16(block, 0);
  put16(block, 0);
  put16(block, width_);
  put16(block, height_);
  block.push_back(0x00);
  block.push_back(8);  // LZW minimum code size
  encoded_.clear();
  LzwEncoder(encoded_).encode(indices_);
  for (size_t at = 0; at < encoded_.size(); at += 255) {  // data sub-blocks
    const size_t n = std::min<size_t>(255, encoded_.size() - at);
    block.push_back(static_cast<uint8_t>(n));
    block.insert(block.end(), encoded_.begin() + static_cast<std::ptrdiff_t>(at),
                 encoded_.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  block.push_back(0x00);
  out_.write(std::as_bytes(std::span<const uint8_t>(block)));
  ++frames_;
}

void GifWriter::finish() {
  if (frames_ == 0) throw Error("'" + out_.path().string() + "': a GIF needs at least one frame");
  const uint8_t trailer = 0x3B;
  out_.write(std::as_bytes(std::span<const uint8_t>(&trailer, 1)));
  out_.commit();
}

}  // namespace cairn
