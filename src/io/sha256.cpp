#include "cairn/io/sha256.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "io/posix_file.h"
#include "io/sha256_compress.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace cairn {
namespace io {
namespace {

// FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the cube
// roots of the first 64 primes.
alignas(16) constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// FIPS 180-4 section 5.3.3.
constexpr std::array<uint32_t, 8> kInitialState = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

using CompressFn = void (*)(uint32_t*, const uint8_t*, size_t);

CompressFn pick_compress() {
  return sha256_sha_ni_available() ? &sha256_compress_sha_ni : &sha256_compress_portable;
}

void compress(uint32_t* state, const uint8_t* blocks, size_t n_blocks) {
  static const CompressFn chosen = pick_compress();
  chosen(state, blocks, n_blocks);
}

}  // namespace

void sha256_compress_portable(uint32_t state[8], const uint8_t* blocks, size_t n_blocks) {
  for (size_t block = 0; block < n_blocks; ++block, blocks += 64) {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t) w[t] = load_be32(blocks + 4 * t);
    for (int t = 16; t < 64; ++t) {
      const uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; ++t) {
      const uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
      const uint32_t choose = (e & f) ^ (~e & g);
      const uint32_t t1 = h + big_s1 + choose + kRound[t] + w[t];
      const uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
      const uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
      const uint32_t t2 = big_s0 + majority;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

#if defined(__x86_64__)

bool sha256_sha_ni_available() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool ssse3 = (ecx & (1u << 9)) != 0;
  const bool sse41 = (ecx & (1u << 19)) != 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool sha = (ebx & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}

// The SHA extensions keep the state as two registers, ABEF and CDGH, and run two
// rounds per sha256rnds2. The message schedule for words 4j..4j+3 is
// msg2(msg1(W[j-4], W[j-3]) + W[j-1:j-2 shifted by one word], W[j-1]); it is
// computed one group ahead so the round instructions and schedule interleave.
__attribute__((target("sha,sse4.1,ssse3"))) void sha256_compress_sha_ni(uint32_t state[8],
                                                                        const uint8_t* blocks,
                                                                        size_t n_blocks) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

  for (size_t block = 0; block < n_blocks; ++block, blocks += 64) {
    const __m128i abef_saved = abef;
    const __m128i cdgh_saved = cdgh;
    __m128i w[4];
    for (int j = 0; j < 4; ++j) {
      w[j] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * j)),
                              byte_swap);
    }
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      __m128i msg =
          _mm_add_epi32(w[j & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * j)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
      if (j >= 3 && j <= 14) {
        // Next group j+1 reuses the slot of group j-3 (already passed through msg1).
        const __m128i shifted = _mm_alignr_epi8(w[j & 3], w[(j - 1) & 3], 4);
        w[(j + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[(j + 1) & 3], shifted), w[j & 3]);
      }
      msg = _mm_shuffle_epi32(msg, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, msg);
      if (j >= 1 && j <= 12) w[(j - 1) & 3] = _mm_sha256msg1_epu32(w[(j - 1) & 3], w[j & 3]);
    }
    abef = _mm_add_epi32(abef, abef_saved);
    cdgh = _mm_add_epi32(cdgh, cdgh_saved);
  }

  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), dcba);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), hgfe);
}

#else

bool sha256_sha_ni_available() {
  return false;
}
void sha256_compress_sha_ni(uint32_t state[8], const uint8_t* blocks, size_t n_blocks) {
  sha256_compress_portable(state, blocks, n_blocks);
}

#endif

}  // namespace io

Sha256::Sha256() : state_(io::kInitialState) {}

void Sha256::update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;  // an empty span may carry a null pointer, which memcpy forbids
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t size = bytes.size();
  total_bytes_ += size;
  if (block_used_ > 0) {
    const size_t take = std::min(size, block_.size() - block_used_);
    std::memcpy(block_.data() + block_used_, data, take);
    block_used_ += take;
    data += take;
    size -= take;
    if (block_used_ < block_.size()) return;
    io::compress(state_.data(), block_.data(), 1);
    block_used_ = 0;
  }
  const size_t whole = size / 64;
  if (whole > 0) io::compress(state_.data(), data, whole);
  data += whole * 64;
  size -= whole * 64;
  if (size > 0) std::memcpy(block_.data(), data, size);
  block_used_ = size;
}

void Sha256::update(std::string_view text) {
  update(std::as_bytes(std::span(text)));
}

Sha256Digest Sha256::finish() {
  // FIPS 180-4 section 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, then the
  // message length in bits as a 64-bit big-endian integer.
  const uint64_t bit_length = total_bytes_ * 8;
  block_[block_used_++] = 0x80;
  if (block_used_ > 56) {
    std::fill(block_.begin() + static_cast<std::ptrdiff_t>(block_used_), block_.end(), uint8_t{0});
    io::compress(state_.data(), block_.data(), 1);
    block_used_ = 0;
  }
  std::fill(block_.begin() + static_cast<std::ptrdiff_t>(block_used_), block_.begin() + 56,
            uint8_t{0});
  for (int i = 0; i < 8; ++i) block_[56 + i] = static_cast<uint8_t>(bit_length >> (56 - 8 * i));
  io::compress(state_.data(), block_.data(), 1);
  block_used_ = 0;

  Sha256Digest digest;
  for (size_t i = 0; i < 8; ++i) {
    for (size_t k = 0; k < 4; ++k) {
      digest[4 * i + k] = static_cast<uint8_t>(state_[i] >> (24 - 8 * k));
    }
  }
  return digest;
}

std::string to_hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0xF];
  }
  return hex;
}

Sha256Digest sha256(std::span<const std::byte> bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Sha256Digest sha256(std::string_view text) {
  return sha256(std::as_bytes(std::span(text)));
}

std::string sha256_hex(std::span<const std::byte> bytes) {
  return to_hex(sha256(bytes));
}

std::string sha256_hex(std::string_view text) {
  return to_hex(sha256(text));
}

std::string sha256_file_hex(const std::filesystem::path& path) {
  io::UniqueFd fd = io::open_for_reading(path);
  // 1 MiB: large enough that syscall overhead is negligible, small enough to stay in L2.
  std::vector<std::byte> chunk(size_t{1} << 20);
  Sha256 hasher;
  for (;;) {
    const size_t n = io::read_some(fd.get(), chunk, path);
    if (n == 0) break;
    hasher.update(std::span<const std::byte>(chunk.data(), n));
  }
  return to_hex(hasher.finish());
}

}  // namespace cairn
