// SHA-256 (FIPS 180-4): checksums for checkpoint files.
//
// Streaming: construct a Sha256, call update() any number of times, then
// finish() once. One-shot helpers hash a byte span, a string or a whole file.
//
// On x86-64 CPUs with the SHA extensions the compression function uses them
// (chosen once at run time); elsewhere a portable implementation runs. Both
// give identical digests.
//
// Thread safety: a Sha256 is a plain value; use one per thread. The free
// functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace cairn {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();

  // Appends `bytes` to the message. Does not allocate. Must not be called after finish().
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);

  // Pads the message and returns its digest. Call once; the object is then spent
  // (construct a new one to hash another message). Does not allocate.
  Sha256Digest finish();

 private:
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_{};  // pending partial block
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lower-case hexadecimal form (64 characters). Allocates the string.
std::string to_hex(const Sha256Digest& digest);

// Digest of `bytes` / `text`. Do not allocate.
Sha256Digest sha256(std::span<const std::byte> bytes);
Sha256Digest sha256(std::string_view text);

// Hex digest of `bytes` / `text`. Allocate the returned string.
std::string sha256_hex(std::span<const std::byte> bytes);
std::string sha256_hex(std::string_view text);

// Hex digest of the contents of the file at `path`, read in fixed-size chunks
// (memory use does not grow with the file). Throws cairn::Error naming the path
// and the system's reason if the file cannot be opened or read, or is a directory.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace cairn
