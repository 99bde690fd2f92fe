// Checkpoints of older format versions keep loading: the committed fixture was written
// by cairn 0.1.0 in format version 1 and must restore in every later version.
#include <gtest/gtest.h>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/policy_checkpoint.h"

namespace cairn {
namespace {

const std::filesystem::path kFixture =
    std::filesystem::path(CAIRN_SOURCE_DIR) / "tests/fixtures/checkpoint_v1";

TEST(FormatFixture, Version1AlgorithmCheckpointResumes) {
  std::unique_ptr<PPO> ppo = PPO::from_checkpoint(kFixture);
  EXPECT_EQ(ppo->iteration(), 1);
  EXPECT_EQ(ppo->config().env_id, "CartPole-v1");
  const TrainResult r = ppo->train();
  EXPECT_EQ(r.iteration, 2);
  EXPECT_EQ(r.timesteps, 2 * ppo->config().batch_size());
}

TEST(FormatFixture, Version1PolicyRestoresAloneAndReproducesItsExample) {
  PolicyRestoreReport report;
  std::unique_ptr<Policy> policy =
      Policy::from_checkpoint(kFixture, PolicyRestoreOptions(), &report);
  EXPECT_EQ(report.format_version, 1);
  EXPECT_EQ(report.cairn_version, "0.1.0");
  EXPECT_TRUE(report.example_checked);
  EXPECT_LE(report.max_abs_deviation, 1e-5);
  EXPECT_EQ(policy->action_space().to_string(), "Discrete(2)");
}

}  // namespace
}  // namespace cairn
