// Rng::standard_normal and Rng::normal(loc, scale) against NumPy's Generator draws
// (/usr/bin/python3 with python3-numpy): equal bits for every draw, with the ziggurat's
// rare branches (the wedge test, the tail beyond r, rejections) counted so that the
// comparison provably covers them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "cairn/random/random.h"

namespace cairn {
namespace {

constexpr size_t kNormalDrawsPerSeed = 200000;
constexpr uint64_t kNormalSeeds[] = {0, 1, 2, 3};
constexpr double kNormalLoc = 1.5, kNormalScale = 0.25;
constexpr double kZigguratTailStart = 3.6541528853610087963519472518;  // r

// NumPy's draws, per seed: standard_normal(n), then a fresh generator's
// normal(loc, scale, n).
std::vector<double> numpy_normal_draws() {
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("cairn_numpy_normal_" + std::to_string(::getpid()));
  std::string cmd = std::string("/usr/bin/python3 ") + CAIRN_SOURCE_DIR +
                    "/tests/random/numpy_normal_reference.py " + out.string() + " " +
                    std::to_string(kNormalDrawsPerSeed) + " " + std::to_string(kNormalLoc) + " " +
                    std::to_string(kNormalScale);
  for (uint64_t seed : kNormalSeeds) cmd += " " + std::to_string(seed);
  if (std::system(cmd.c_str()) != 0) throw Error(cmd + " failed (needs python3-numpy)");
  const size_t n = std::size(kNormalSeeds) * 2 * kNormalDrawsPerSeed;
  std::vector<double> values(n);
  std::ifstream in(out, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(n * sizeof(double)));
  const bool complete = in.gcount() == static_cast<std::streamsize>(n * sizeof(double));
  in.close();
  std::filesystem::remove(out);
  if (!complete) throw Error(out.string() + ": fewer than " + std::to_string(n) + " doubles");
  return values;
}

TEST(RngStandardNormal, EqualsNumpyGeneratorBitForBitOnEveryBranch) {
  const std::vector<double> numpy = numpy_normal_draws();
  size_t compared = 0, mismatches = 0;
  // Branches, told apart by the raw 64-bit draws one value consumed: 1 = accepted in its
  // layer; more with |z| <= r = accepted by the wedge test, possibly after rejections;
  // |z| > r = the tail.
  size_t fast = 0, wedge = 0, tail = 0, retried = 0;
  for (size_t s = 0; s < std::size(kNormalSeeds); ++s) {
    Rng rng(kNormalSeeds[s]);
    const double* expected = numpy.data() + s * 2 * kNormalDrawsPerSeed;
    for (size_t i = 0; i < kNormalDrawsPerSeed; ++i) {
      Rng before = rng;
      const double z = rng.standard_normal();
      size_t consumed = 0;
      while (!(before == rng)) {
        before.next_u64();
        ++consumed;
      }
      if (consumed == 1) {
        ++fast;
      } else if (std::fabs(z) > kZigguratTailStart) {
        ++tail;
      } else {
        ++wedge;
      }
      // A wedge acceptance costs 2 raw draws and a tail 3; more means a rejected try.
      if (consumed > (std::fabs(z) > kZigguratTailStart ? 3u : 2u)) ++retried;
      ++compared;
      if (std::bit_cast<uint64_t>(z) != std::bit_cast<uint64_t>(expected[i]) && ++mismatches <= 5) {
        ADD_FAILURE() << "seed " << kNormalSeeds[s] << ", draw " << i << ": cairn " << std::hexfloat
                      << z << ", NumPy " << expected[i];
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << compared;
  EXPECT_EQ(compared, std::size(kNormalSeeds) * kNormalDrawsPerSeed);
  // Measured over these 800,000 draws: wedge 11,660, tail 220, with rejections 5,361;
  // the floors below only guard that the comparison reaches every branch.
  RecordProperty("fast", static_cast<int>(fast));
  RecordProperty("wedge", static_cast<int>(wedge));
  RecordProperty("tail", static_cast<int>(tail));
  RecordProperty("retried", static_cast<int>(retried));
  std::cout << "standard_normal draws compared: " << compared << " (fast " << fast << ", wedge "
            << wedge << ", tail " << tail << ", with rejections " << retried << ")\n";
  EXPECT_GT(wedge, 1000u);
  EXPECT_GT(tail, 50u);
  EXPECT_GT(retried, 100u);
}

TEST(RngStandardNormal, NormalIsLocPlusScaleTimesStandardNormalAsNumpy) {
  const std::vector<double> numpy = numpy_normal_draws();
  size_t mismatches = 0;
  for (size_t s = 0; s < std::size(kNormalSeeds); ++s) {
    Rng rng(kNormalSeeds[s]);
    const double* expected = numpy.data() + (s * 2 + 1) * kNormalDrawsPerSeed;
    for (size_t i = 0; i < kNormalDrawsPerSeed; ++i) {
      const double v = rng.normal(kNormalLoc, kNormalScale);
      if (std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(expected[i]) && ++mismatches <= 5) {
        ADD_FAILURE() << "seed " << kNormalSeeds[s] << ", draw " << i << ": cairn " << std::hexfloat
                      << v << ", NumPy " << expected[i];
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(RngStandardNormal, NormalRejectsNegativeScaleBeforeDrawing) {
  Rng rng(5);
  const Rng untouched = rng;
  try {
    rng.normal(0.0, -1.0);
    FAIL() << "no error for scale -1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scale"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rng, untouched);
  EXPECT_EQ(rng.normal(2.0, 0.0), 2.0);  // scale 0 is allowed, as in NumPy
}

TEST(RngStandardNormal, LeavesThePolarNormalsCacheAlone) {
  Rng a(9), b(9);
  a.normal();  // caches the polar method's second value
  b.normal();
  for (int i = 0; i < 100; ++i) a.standard_normal();
  EXPECT_EQ(a.state().has_spare_normal, 1u);
  EXPECT_EQ(a.normal(), b.normal());
}

}  // namespace
}  // namespace cairn
