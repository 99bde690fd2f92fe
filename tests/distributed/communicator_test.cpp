// The start-of-run check that every rank runs the same config and build, against a
// communicator standing in for a second rank whose contribution the test chooses.
#include "cairn/distributed/communicator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cairn/io/sha256.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// Rank 0 of 2; rank 1's all_gather contribution is `theirs`.
class TwoRanks final : public distributed::Communicator {
 public:
  explicit TwoRanks(std::vector<std::byte> theirs) : theirs_(std::move(theirs)) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string description() const override { return "two ranks (test)"; }
  void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const size_t> counts) override {
    ASSERT_EQ(counts.size(), 2u);
    ASSERT_EQ(counts[1], theirs_.size());
    std::memcpy(all.data(), mine.data(), mine.size());
    std::memcpy(all.data() + counts[0], theirs_.data(), theirs_.size());
  }
  void all_to_all(std::span<const std::byte>, std::span<const size_t>, std::span<std::byte>,
                  std::span<const size_t>) override {}
  void broadcast(std::span<std::byte>, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message, int) override { throw Error(message); }

 private:
  std::vector<std::byte> theirs_;
};

// What a rank contributes to the check: the digests of its config and of its build.
std::vector<std::byte> contribution(const std::string& config, const std::string& build) {
  std::vector<std::byte> out(64);
  const Sha256Digest c = sha256(config), b = sha256(build);
  std::memcpy(out.data(), c.data(), 32);
  std::memcpy(out.data() + 32, b.data(), 32);
  return out;
}

TEST(SameOnEveryRank, AcceptsTheSameConfigAndBuild) {
  TwoRanks comm(contribution("{\"seed\":1}", distributed::build_fingerprint()));
  EXPECT_NO_THROW(distributed::check_same_on_every_rank(comm, "PPO", "{\"seed\":1}"));
}

TEST(SameOnEveryRank, RefusesAnotherConfigNamingTheRank) {
  TwoRanks comm(contribution("{\"seed\":2}", distributed::build_fingerprint()));
  EXPECT_ERROR_CONTAINS(distributed::check_same_on_every_rank(comm, "PPO", "{\"seed\":1}"),
                        "PPO: rank 1 has a different config from rank 0");
}

TEST(SameOnEveryRank, RefusesAnotherBuildNamingTheRankAndThisBuild) {
  TwoRanks comm(contribution("{\"seed\":1}", "cairn 0.0.9, compiler other, kernel portable"));
  EXPECT_ERROR_CONTAINS(
      distributed::check_same_on_every_rank(comm, "PPO", "{\"seed\":1}"),
      "PPO: rank 1 runs a different build of cairn from rank 0 (this rank's: cairn " +
          std::string(CAIRN_VERSION_STRING));
}

TEST(SameOnEveryRank, TheFingerprintNamesVersionCompilerAndKernel) {
  const std::string f = distributed::build_fingerprint();
  EXPECT_NE(f.find(std::string("cairn ") + CAIRN_VERSION_STRING), std::string::npos) << f;
  EXPECT_NE(f.find("compiler "), std::string::npos) << f;
  EXPECT_NE(f.find("kernel "), std::string::npos) << f;
}

}  // namespace
}  // namespace cairn
