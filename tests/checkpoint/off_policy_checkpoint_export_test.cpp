// Issue 11's promise for SAC, TD3 and DQN, as AlgorithmCheckpoint's founding story keeps
// it for PPO: the Nth of several checkpoints exports that checkpoint's trained weights.
// Each algorithm trains with a checkpoint per iteration; a middle checkpoint (not the
// last) is restored alone and exported to ONNX and C. The exports carry that checkpoint's
// weights (the ONNX initializers are its weights file's bytes, which differ from the
// latest checkpoint's), ONNX Runtime and the compiled C reproduce the restored policy on
// its recorded example, and the same artifacts checked against the latest policy fail.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "cairn/algorithms/dqn.h"
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/td3.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/io/safetensors.h"
#include "checkpoint/checkpoint_test_files.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

constexpr int kOffPolicyCheckpoints = 4;
constexpr int kOffPolicyMiddle = 2;  // the checkpoint exported: neither the first nor the last

// Small Pendulum runs that update from their first iteration on (a few seconds in total).
template <typename Config>
Config small_actor_critic_for_export(Config c) {
  c.env_id = "Pendulum-v1";
  c.hidden_sizes = {16, 16};
  c.batch_size = 16;
  c.num_envs = 1;
  c.steps_per_iteration = 100;
  c.learning_starts = 50;
  c.buffer_size = 1000;
  c.seed = 21;
  return c;
}

DQNConfig small_dqn_for_export() {
  DQNConfig c;
  c.env_id = "CartPole-v1";
  c.hidden_sizes = {16, 16};
  c.batch_size = 16;
  c.num_envs = 1;
  c.steps_per_iteration = 100;
  c.learning_starts = 50;
  c.buffer_size = 1000;
  c.target_update_interval = 60;
  c.learning_rate = 1e-3;
  c.seed = 22;
  return c;
}

fs::path policy_folder_of(const fs::path& checkpoint) {
  return checkpoint / kPoliciesFolder / kDefaultPolicyId;
}

// The ONNX file's initializers by name.
std::map<std::string, std::string> onnx_initializers(const fs::path& onnx_path) {
  onnx::ModelProto model;
  std::ifstream in(onnx_path, std::ios::binary);
  EXPECT_TRUE(model.ParseFromIstream(&in)) << onnx_path;
  std::map<std::string, std::string> init;
  for (const auto& t : model.graph().initializer()) init[t.name()] = t.raw_data();
  return init;
}

void expect_export_reproduces_the_policy(const ExportVerification& v) {
  EXPECT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
  EXPECT_GT(v.num_example_observations, 0u) << v.summary();
  ASSERT_FALSE(v.outputs.empty());
  EXPECT_EQ(v.outputs[0].name, "action");
  for (const OutputDeviation& o : v.outputs) {
    EXPECT_TRUE(o.verified) << o.name;
    EXPECT_EQ(o.mismatches, 0u) << o.name;
    EXPECT_GT(o.values, 0u) << o.name;
  }
}

// Trains `algorithm` with a checkpoint per iteration, then exports the middle checkpoint's
// restored policy and proves the exports are that checkpoint's.
void expect_middle_checkpoint_exports_its_weights(Algorithm& algorithm) {
  ScratchDir dir;
  const std::vector<float> fresh =
      sample_observations(algorithm.policy().observation_space(), 24, 3);
  std::vector<std::vector<float>> params;
  std::vector<TensorDict> outputs;
  for (int i = 1; i <= kOffPolicyCheckpoints; ++i) {
    algorithm.train();
    const auto p = algorithm.policy().model().flat_parameters();
    params.emplace_back(p.begin(), p.end());
    outputs.push_back(record_policy_example(algorithm.policy(), fresh));
    algorithm.save_checkpoint(dir / ("checkpoint_" + std::to_string(i)));
  }
  const fs::path middle =
      policy_folder_of(dir / ("checkpoint_" + std::to_string(kOffPolicyMiddle)));
  const fs::path latest =
      policy_folder_of(dir / ("checkpoint_" + std::to_string(kOffPolicyCheckpoints)));
  const std::vector<float>& middle_params = params[kOffPolicyMiddle - 1];
  const std::vector<float>& latest_params = params[kOffPolicyCheckpoints - 1];
  ASSERT_FALSE(checkpoint_testing::same_bits(middle_params, latest_params))
      << "training did not change the weights between the middle and the latest checkpoint";

  // The middle checkpoint restores alone to its own trained weights, not the latest's.
  PolicyRestoreReport report;
  const std::unique_ptr<Policy> policy = load_policy(middle, PolicyRestoreOptions(), &report);
  EXPECT_TRUE(report.bit_identical);
  EXPECT_TRUE(checkpoint_testing::same_bits(policy->model().flat_parameters(), middle_params));
  EXPECT_FALSE(checkpoint_testing::same_bits(policy->model().flat_parameters(), latest_params));
  EXPECT_TRUE(record_policy_example(*policy, fresh) == outputs[kOffPolicyMiddle - 1]);
  const std::unique_ptr<Policy> latest_policy = load_policy(latest);

  VerificationOptions proof;
  proof.example_observations = read_example_observations(middle);
  proof.num_random_observations = 16;

  // ONNX: the initializers are the middle checkpoint's weights file, byte for byte.
  OnnxExportOptions onnx_options;
  onnx_options.verification = proof;
  onnx_options.require_verification = true;
  const fs::path onnx_path = dir / "middle.onnx";
  expect_export_reproduces_the_policy(export_onnx(*policy, onnx_path, onnx_options));
  const std::map<std::string, std::string> init = onnx_initializers(onnx_path);
  const TensorDict middle_weights = read_safetensors(middle / kPolicyWeightsFile);
  const TensorDict latest_weights = read_safetensors(latest / kPolicyWeightsFile);
  size_t differing = 0;
  for (const auto& [name, tensor] : middle_weights) {
    ASSERT_TRUE(init.count(name)) << "no initializer " << name;
    const std::string& raw = init.at(name);
    ASSERT_EQ(raw.size(), tensor.bytes().size()) << name;
    EXPECT_EQ(std::memcmp(raw.data(), tensor.bytes().data(), raw.size()), 0)
        << name << " in the ONNX file differs from the middle checkpoint";
    const Tensor& other = latest_weights.at(name);
    if (other.bytes().size() != raw.size() ||
        std::memcmp(raw.data(), other.bytes().data(), raw.size()) != 0)
      ++differing;
  }
  EXPECT_GT(differing, 0u) << "the ONNX file's weights are also the latest checkpoint's";

  // C: compiled, it reproduces the middle policy.
  CExportOptions c_options;
  c_options.verification = proof;
  c_options.require_verification = true;
  fs::create_directories(dir / "c");
  expect_export_reproduces_the_policy(export_c(*policy, dir / "c", c_options));

  // Both artifacts are the middle checkpoint's policy, not the latest's: checked against
  // the latest policy on the same observations, they disagree.
  EXPECT_EQ(verify_onnx(*latest_policy, onnx_path, onnx_options).status,
            VerificationStatus::kFailed);
  EXPECT_EQ(verify_c(*latest_policy, dir / "c", c_options).status, VerificationStatus::kFailed);
}

TEST(OffPolicyCheckpointExport, SACMiddleCheckpointExportsItsTrainedWeights) {
  SAC sac(small_actor_critic_for_export(SACConfig()));
  expect_middle_checkpoint_exports_its_weights(sac);
}

TEST(OffPolicyCheckpointExport, TD3MiddleCheckpointExportsItsTrainedWeights) {
  TD3 td3(small_actor_critic_for_export(TD3Config()));
  expect_middle_checkpoint_exports_its_weights(td3);
}

TEST(OffPolicyCheckpointExport, DQNMiddleCheckpointExportsItsTrainedWeights) {
  DQN dqn(small_dqn_for_export());
  expect_middle_checkpoint_exports_its_weights(dqn);
}

}  // namespace
}  // namespace cairn
