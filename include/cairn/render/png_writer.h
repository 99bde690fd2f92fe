// PNG encoding by cairn itself: 8-bit RGB (colour type 2), no interlacing, the image data
// in stored (uncompressed) deflate blocks inside a zlib stream with its Adler-32, every
// chunk with its CRC-32. Any PNG reader decodes it; it is not small (about 3 bytes per
// pixel), which suits single frames.
//
// Thread safety: pure functions, except that write_png writes the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "cairn/render/image.h"

namespace cairn {

// The PNG file's bytes. Throws cairn::Error for an empty image. Allocates.
std::vector<uint8_t> encode_png(const Image& image);
// Writes encode_png(image) to `path` atomically (atomic_file.h). Throws cairn::Error naming
// the path on failure.
void write_png(const std::filesystem::path& path, const Image& image);

// CRC-32 (ISO 3309, as PNG and zlib's crc32) of `bytes`, continuing from `crc` (0 to start).
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t crc = 0);
// Adler-32 (zlib) of `bytes`, continuing from `adler` (1 to start).
uint32_t adler32(std::span<const uint8_t> bytes, uint32_t adler = 1);

}  // namespace cairn
