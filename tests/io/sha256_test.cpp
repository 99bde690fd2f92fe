#include "cairn/io/sha256.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/random/random.h"
#include "support/scratch_dir.h"
#include "io/sha256_compress.h"

namespace cairn {
namespace {

// Test vectors from NIST's "Cryptographic Standards and Guidelines: Examples
// with Intermediate Values" for SHA-256 (and FIPS 180-2 appendix B).
struct Vector {
  std::string message;
  const char* digest;
};

std::vector<Vector> nist_vectors() {
  return {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlm"
       "nopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
}

std::vector<std::byte> random_bytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng.next_u64() >> 56);
  return out;
}

TEST(Sha256, NistVectorsOneShot) {
  for (const Vector& v : nist_vectors()) {
    EXPECT_EQ(sha256_hex(v.message), v.digest) << "message of length " << v.message.size();
  }
}

TEST(Sha256, NistVectorsStreamedInEveryChunking) {
  // Feeding the message in pieces must not change the digest; small chunk sizes
  // exercise every way a chunk can straddle a 64-byte block boundary.
  for (const Vector& v : nist_vectors()) {
    for (size_t chunk : {1, 3, 55, 56, 63, 64, 65, 127, 4096}) {
      if (v.message.size() > 100000 && chunk < 55) continue;  // keep the test quick
      Sha256 hasher;
      for (size_t at = 0; at < v.message.size(); at += chunk) {
        hasher.update(std::string_view(v.message).substr(at, chunk));
      }
      EXPECT_EQ(to_hex(hasher.finish()), v.digest) << "chunk " << chunk;
    }
  }
}

TEST(Sha256, EmptyUpdatesChangeNothing) {
  Sha256 hasher;
  hasher.update(std::span<const std::byte>());
  hasher.update("abc");
  hasher.update(std::string_view());
  EXPECT_EQ(to_hex(hasher.finish()), nist_vectors()[1].digest);
}

TEST(Sha256, PaddingBoundariesAgreeBetweenStreamedAndOneShot) {
  // Lengths around the 56-byte padding threshold and block multiples.
  const std::vector<std::byte> data = random_bytes(300, 1);
  for (size_t n = 0; n <= data.size(); ++n) {
    const std::span<const std::byte> message(data.data(), n);
    Sha256 hasher;
    const size_t split = n / 3;
    hasher.update(message.first(split));
    hasher.update(message.subspan(split));
    EXPECT_EQ(hasher.finish(), sha256(message)) << n;
  }
}

TEST(Sha256, ShaExtensionsMatchPortableCompression) {
  if (!io::sha256_sha_ni_available()) GTEST_SKIP() << "CPU has no SHA extensions";
  const std::vector<std::byte> data = random_bytes(64 * 37, 2);
  const auto* blocks = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t n_blocks : {1, 2, 5, 37}) {
    uint32_t portable[8] = {1, 2, 3, 4, 5, 6, 7, 0x80000000u};
    uint32_t hardware[8] = {1, 2, 3, 4, 5, 6, 7, 0x80000000u};
    io::sha256_compress_portable(portable, blocks, n_blocks);
    io::sha256_compress_sha_ni(hardware, blocks, n_blocks);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(portable[i], hardware[i]) << n_blocks << " " << i;
  }
}

TEST(Sha256, FileHashEqualsOneShotHash) {
  testing_io::ScratchDir dir;
  // Larger than the 1 MiB read chunk and not a multiple of it or of 64.
  const std::vector<std::byte> data = random_bytes((size_t{5} << 20) / 2 + 13, 3);
  const auto path = dir / "blob.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }
  EXPECT_EQ(sha256_file_hex(path), sha256_hex(data));

  const auto empty = dir / "empty.bin";
  std::ofstream(empty).close();
  EXPECT_EQ(sha256_file_hex(empty), nist_vectors()[0].digest);
}

TEST(Sha256, MissingFileErrorNamesThePath) {
  testing_io::ScratchDir dir;
  const auto path = dir / "absent.bin";
  try {
    sha256_file_hex(path);
    FAIL() << "expected cairn::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sha256_file_hex(dir.path()), Error);  // a directory
}

// Prints throughput; never asserts on time. Run with --gtest_also_run_disabled_tests.
TEST(Sha256, DISABLED_Throughput) {
  const std::vector<std::byte> data = random_bytes(size_t{256} << 20, 4);
  const auto* blocks = reinterpret_cast<const uint8_t*>(data.data());
  auto measure = [&](const char* what, auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-28s %8.0f MB/s\n", what, static_cast<double>(data.size()) / seconds / 1e6);
  };
  measure("sha256 (dispatched)", [&] { (void)sha256(data); });
  uint32_t state[8] = {};
  measure("portable compression",
          [&] { io::sha256_compress_portable(state, blocks, data.size() / 64); });
  if (io::sha256_sha_ni_available()) {
    measure("SHA-NI compression",
            [&] { io::sha256_compress_sha_ni(state, blocks, data.size() / 64); });
  }
}

}  // namespace
}  // namespace cairn
