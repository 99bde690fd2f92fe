// Policy folders of the SAC, TD3 and DQN heads: saved and restored alone, bit for bit,
// with the recorded example proven on restore; the example holds exactly the tensors the
// head produces; a tampered head or example is refused.
#include <gtest/gtest.h>

#include <fstream>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/safetensors.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "export/export_test_policies.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

std::vector<Policy> head_policies() {
  std::vector<Policy> p;
  p.push_back(export_testing::squashed_gaussian_policy());
  p.push_back(export_testing::deterministic_policy());
  p.push_back(export_testing::greedy_q_policy());
  return p;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(PolicyHeadCheckpoint, EveryHeadRestoresAloneBitIdenticalWithItsExampleProven) {
  for (Policy& policy : head_policies()) {
    SCOPED_TRACE(to_string(policy.head()));
    ScratchDir dir;
    const fs::path folder = dir / "policy";
    policy.save(folder);
    PolicyRestoreReport report;
    auto restored = Policy::from_checkpoint(folder, PolicyRestoreOptions(), &report);
    EXPECT_TRUE(report.example_checked);
    EXPECT_TRUE(report.bit_identical);
    EXPECT_EQ(restored->head(), policy.head());
    EXPECT_EQ(restored->options(), policy.options());
    EXPECT_TRUE(checkpoint_testing::same_bits(restored->model().flat_parameters(),
                                              policy.model().flat_parameters()));
    // The manifest records the head and its options.
    const nlohmann::json manifest = read_json(folder / kPolicyManifestFile);
    EXPECT_EQ(manifest["preprocessor"]["head"], to_string(policy.head()));
    EXPECT_EQ(manifest["preprocessor"]["exploration_noise"], policy.options().exploration_noise);
    EXPECT_EQ(manifest["preprocessor"]["exploration_epsilon"],
              policy.options().exploration_epsilon);
    // The example holds obs, action and the head's raw output; no value, no log_std.
    const TensorDict example = read_safetensors(folder / kPolicyExampleFile);
    std::vector<std::string> names;
    for (const auto& [name, t] : example) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"action", "dist_inputs", "obs"}));
    EXPECT_EQ(example.at("dist_inputs").shape()[1],
              static_cast<int64_t>(policy.head_output_size()));
    // Fresh observations, deterministic and exploring with the same seed: the same actions.
    const std::vector<float> fresh = sample_observations(policy.observation_space(), 50, 77);
    EXPECT_TRUE(record_policy_example(policy, fresh) == record_policy_example(*restored, fresh));
    const size_t n = 50 * policy.action_size();
    Rng a(5), b(5);
    if (policy.action_space().is_integer()) {
      policy.set_exploration_epsilon(0.5);
      restored->set_exploration_epsilon(0.5);
      std::vector<int64_t> x(n), y(n);
      policy.compute_actions(fresh, true, a, x, {});
      restored->compute_actions(fresh, true, b, y, {});
      EXPECT_EQ(x, y);
    } else {
      std::vector<float> x(n), y(n);
      policy.compute_actions(fresh, true, a, {}, x);
      restored->compute_actions(fresh, true, b, {}, y);
      EXPECT_EQ(x, y);
    }
  }
}

TEST(PolicyHeadCheckpoint, ARestoreThatActsDifferentlyIsRefused) {
  // The same weights under another head act differently: the example catches it.
  Policy policy = export_testing::deterministic_policy();
  ScratchDir dir;
  const fs::path folder = dir / "policy";
  policy.save(folder);
  const auto set_head = [&](const std::string& head) {
    checkpoint_testing::edit_json(folder / kPolicyManifestFile,
                                  [&](nlohmann::json& m) { m["preprocessor"]["head"] = head; });
  };
  set_head("greedy_q");
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(folder), "greedy_q head needs a Discrete");
  set_head("sac");
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(folder), "'head'");
  // The tanh of the deterministic head, read as a squashed Gaussian, needs twice the columns.
  set_head("squashed_gaussian");
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(folder), "needs 6");
  // A tampered example (rehashed, so only the example check can notice) is refused.
  set_head("deterministic");
  Policy shifted = policy;
  for (float& v : shifted.model().parameter("pi/dense_2/bias")) v += 0.5f;
  const std::vector<float> obs =
      read_safetensors(folder / kPolicyExampleFile).at("obs").to_vector<float>();
  checkpoint_testing::replace_tensor(folder, kPolicyExampleFile, "action",
                                     record_policy_example(shifted, obs).at("action"));
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(folder), "does not reproduce the recorded example");
}

TEST(PolicyHeadCheckpoint, AStochasticPolicyStillRecordsValueAndHead) {
  Policy policy = export_testing::pendulum_policy();
  ScratchDir dir;
  policy.save(dir / "p");
  const TensorDict example = read_safetensors(dir / "p" / kPolicyExampleFile);
  EXPECT_TRUE(example.contains("value"));
  EXPECT_TRUE(example.contains("log_std"));
  EXPECT_EQ(read_json(dir / "p" / kPolicyManifestFile)["preprocessor"]["head"], "stochastic");
  EXPECT_EQ(Policy::from_checkpoint(dir / "p")->head(), PolicyHead::kStochastic);
}

}  // namespace
}  // namespace cairn
