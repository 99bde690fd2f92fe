// restore_algorithm() hands back the manifest it verified, so `cairn train --resume` reads
// "complete" from the one verification that restored the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/sac.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

SACConfig small_sac_for_manifest(bool keep_replay_buffer) {
  SACConfig c;
  c.env_id = "Pendulum-v1";
  c.hidden_sizes = {16, 16};
  c.batch_size = 16;
  c.num_envs = 1;
  c.steps_per_iteration = 100;
  c.learning_starts = 50;
  c.buffer_size = 1000;
  c.checkpoint_replay_buffer = keep_replay_buffer;
  c.seed = 5;
  return c;
}

TEST(RestoreManifest, RestoreHandsBackTheManifestItVerified) {
  for (const bool keep : {true, false}) {
    SCOPED_TRACE(keep ? "with the replay buffer" : "without the replay buffer");
    testing_io::ScratchDir dir;
    SAC sac(small_sac_for_manifest(keep));
    sac.train();
    sac.train();
    sac.save_checkpoint(dir / "ckpt");
    nlohmann::json manifest;
    const std::unique_ptr<Algorithm> restored = restore_algorithm(dir / "ckpt", &manifest);
    EXPECT_EQ(restored->iteration(), 2);
    EXPECT_EQ(manifest.dump(), verify_algorithm_checkpoint(dir / "ckpt").dump());
    EXPECT_EQ(manifest.value("algorithm", ""), "sac");
    EXPECT_EQ(manifest.value("complete", !keep), keep);
    EXPECT_EQ(manifest["counters"].value("iteration", int64_t{0}), 2);
  }
}

}  // namespace
}  // namespace cairn
