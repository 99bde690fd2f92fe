// Policy::from_checkpoint and load_policy on a run folder restore its latest checkpoint's
// policy, as the CLI's commands do.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

TEST(PolicyFromRunFolder, FollowsLatest) {
  ScratchDir dir;
  PPOConfig c = ppo_preset("CartPole-v1");
  c.num_envs = 2;
  c.num_steps = 8;
  PPO ppo(c);
  CheckpointManager manager(dir / "run");
  ppo.train();
  const fs::path first = manager.save(ppo);
  ppo.train();
  const fs::path second = manager.save(ppo);
  ASSERT_NE(first, second);

  PolicyRestoreReport report;
  const std::unique_ptr<Policy> policy =
      Policy::from_checkpoint(dir / "run", PolicyRestoreOptions{}, &report);
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(report.folder, second / "policies" / "default_policy");
  EXPECT_TRUE(report.bit_identical);
  // The restored parameters are the newest checkpoint's, i.e. the trained policy's.
  const auto restored = policy->model().flat_parameters();
  const auto trained = ppo.policy().model().flat_parameters();
  ASSERT_EQ(restored.size(), trained.size());
  EXPECT_TRUE(std::equal(restored.begin(), restored.end(), trained.begin()));

  // `latest` naming a missing checkpoint is an error naming the marker.
  { std::ofstream(dir / "run" / "latest") << "checkpoint_000009\n"; }
  const std::string error = testing::error_of([&] { load_policy(dir / "run"); });
  EXPECT_NE(error.find("latest"), std::string::npos) << error;
  EXPECT_NE(error.find("checkpoint_000009"), std::string::npos) << error;
}

// The sibling: PPO::from_checkpoint on a run folder resumes its latest checkpoint.
TEST(PolicyFromRunFolder, PPOResumesARunFoldersLatest) {
  ScratchDir dir;
  PPOConfig c = ppo_preset("CartPole-v1");
  c.num_envs = 2;
  c.num_steps = 8;
  PPO ppo(c);
  CheckpointManager manager(dir / "run");
  ppo.train();
  manager.save(ppo);
  ppo.train();
  manager.save(ppo);
  const std::unique_ptr<PPO> resumed = PPO::from_checkpoint(dir / "run");
  EXPECT_EQ(resumed->train().iteration, 3);
}

TEST(PolicyFromRunFolder, AFolderOfNoKindSaysWhatItLooksFor) {
  ScratchDir dir;
  fs::create_directories(dir / "empty");
  const std::string error = testing::error_of([&] { load_policy(dir / "empty"); });
  EXPECT_NE(error.find("neither a policy folder"), std::string::npos) << error;
  EXPECT_NE(error.find("nor a run folder (no 'latest' marker)"), std::string::npos) << error;
}

}  // namespace
}  // namespace cairn
