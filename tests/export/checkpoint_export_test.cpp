// Exports made from checkpoints made in tests: the policies of real training runs,
// restored alone, exported to ONNX and C, and proven with their recorded examples.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>

#include <onnx/onnx_pb.h>

#include "cairn/algorithms/ppo.h"
#include "cairn/io/atomic_file.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "error_matchers.h"
#include "simple_corridor.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

fs::path train_and_checkpoint(PPOConfig config, int iterations, const fs::path& dir) {
  PPO ppo(config);
  for (int i = 0; i < iterations; ++i) ppo.train();
  ppo.save_checkpoint(dir);
  return dir / "policies" / "default_policy";
}

VerificationOptions proof_for(const fs::path& policy_folder) {
  VerificationOptions v;
  v.example_observations = read_example_observations(policy_folder);
  v.num_random_observations = 32;
  return v;
}

void expect_both_exports_proven(const fs::path& policy_folder, const fs::path& out) {
  const std::unique_ptr<Policy> policy = load_policy(policy_folder);
  OnnxExportOptions onnx;
  onnx.verification = proof_for(policy_folder);
  onnx.require_verification = true;
  const ExportVerification o = export_onnx(*policy, out / "policy.onnx", onnx);
  EXPECT_TRUE(o.verified()) << o.summary();
  EXPECT_GT(o.num_example_observations, 0u);
  CExportOptions c;
  c.verification = proof_for(policy_folder);
  c.require_verification = true;
  fs::create_directories(out / "c");
  const ExportVerification cv = export_c(*policy, out / "c", c);
  EXPECT_TRUE(cv.verified()) << cv.summary();
}

TEST(CheckpointExport, CartPolePolicyIsProvenInOnnxRuntimeAndAsC) {
  ScratchDir dir;
  expect_both_exports_proven(train_and_checkpoint(ppo_preset("CartPole-v1"), 20, dir / "ckpt"),
                             dir.path());
}

TEST(CheckpointExport, PendulumPolicyWithNormalisationAndGaussianHeadIsProven) {
  ScratchDir dir;
  PPOConfig c = ppo_preset("Pendulum-v1");
  ASSERT_TRUE(c.normalize_observations);
  c.num_steps = 256;
  c.num_minibatches = 4;
  expect_both_exports_proven(train_and_checkpoint(c, 8, dir / "ckpt"), dir.path());
}

TEST(CheckpointExport, SimpleCorridorPolicyWithTheCustomSiluModelIsProven) {
  corridor::register_simple_corridor();
  ScratchDir dir;
  expect_both_exports_proven(train_and_checkpoint(ppo_preset("SimpleCorridor-v0"), 5, dir / "ckpt"),
                             dir.path());
}

// The founding story, finished: each of 10 checkpoints exports a model whose weights are
// that checkpoint's trained weights, read back out of the ONNX file, and whose outputs
// match the policy.
TEST(CheckpointExport, FoundingStoryEveryExportCarriesItsCheckpointsTrainedWeights) {
  corridor::register_simple_corridor();
  ScratchDir dir;
  PPOConfig c = ppo_preset("SimpleCorridor-v0");
  c.num_steps = 32;
  PPO ppo(c);
  std::vector<float> previous;
  for (int i = 1; i <= 10; ++i) {
    ppo.train();
    const fs::path ckpt = dir / ("checkpoint_" + std::to_string(i));
    ppo.save_checkpoint(ckpt);
    const fs::path folder = ckpt / "policies" / "default_policy";
    const std::unique_ptr<Policy> policy = load_policy(folder);
    OnnxExportOptions o;
    o.verification = proof_for(folder);
    o.require_verification = true;
    const fs::path onnx_path = dir / ("policy_" + std::to_string(i) + ".onnx");
    EXPECT_TRUE(export_onnx(*policy, onnx_path, o).verified()) << i;

    onnx::ModelProto model;
    std::ifstream in(onnx_path, std::ios::binary);
    ASSERT_TRUE(model.ParseFromIstream(&in));
    std::map<std::string, const onnx::TensorProto*> init;
    for (const auto& t : model.graph().initializer()) init[t.name()] = &t;
    // Compared with the checkpoint's own tensor file, not with the Policy object.
    const TensorDict weights = read_safetensors(folder / "weights.safetensors");
    std::vector<float> all;
    for (const auto& [name, tensor] : weights) {
      ASSERT_TRUE(init.count(name)) << "checkpoint " << i << ": no initializer " << name;
      const std::string& raw = init[name]->raw_data();
      ASSERT_EQ(raw.size(), tensor.bytes().size()) << name;
      EXPECT_EQ(std::memcmp(raw.data(), tensor.bytes().data(), raw.size()), 0)
          << "checkpoint " << i << ": " << name << " in the ONNX file differs from the checkpoint";
      const std::vector<float> v = tensor.to_vector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    // Trained weights: every checkpoint's differ from the one before.
    EXPECT_NE(all, previous) << "checkpoint " << i;
    previous = all;
  }
}

TEST(CheckpointExport, CorruptedCheckpointIsAClearError) {
  ScratchDir dir;
  const fs::path folder = train_and_checkpoint(ppo_preset("CartPole-v1"), 1, dir / "ckpt");
  std::vector<std::byte> w = read_file(folder / "weights.safetensors");
  w[w.size() / 2] ^= std::byte{0x10};
  write_file_atomically(folder / "weights.safetensors", w);
  EXPECT_ERROR_CONTAINS(load_policy(folder), "weights.safetensors: checksum mismatch");
}

}  // namespace
}  // namespace cairn
