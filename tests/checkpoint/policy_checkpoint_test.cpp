#include "cairn/checkpoint/policy_checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "cairn/io/atomic_file.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/io/sha256.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;
using namespace checkpoint_testing;

// A Pendulum-shaped policy with trained-looking weights and observation statistics.
std::unique_ptr<Policy> gaussian_policy() {
  PolicyOptions options;
  options.normalize_observations = true;
  options.log_std_init = -0.3;
  auto policy = std::make_unique<Policy>(Space::box({-1, -1, -8}, {1, 1, 8}, {3}),
                                         Space::box(-2.0f, 2.0f, {1}), nn::ppo_actor_critic(3, 1),
                                         options, 4);
  Rng rng(9);
  for (float& p : policy->model().flat_parameters()) p = static_cast<float>(0.3 * rng.normal());
  policy->update_observation_statistics(sample_observations(policy->observation_space(), 64, 3));
  return policy;
}

std::unique_ptr<Policy> discrete_policy() {
  auto policy = std::make_unique<Policy>(Space::box(-5.0f, 5.0f, {4}), Space::discrete(2),
                                         nn::ppo_actor_critic(4, 2), PolicyOptions(), 2);
  Rng rng(1);
  for (float& p : policy->model().flat_parameters()) p = static_cast<float>(0.5 * rng.normal());
  return policy;
}

TEST(PolicyCheckpoint, RestoresBitIdenticalParametersStatisticsAndOutputs) {
  ScratchDir dir;
  std::vector<std::unique_ptr<Policy>> policies;
  policies.push_back(gaussian_policy());
  policies.push_back(discrete_policy());
  for (auto& policy : policies) {
    const fs::path folder = dir / (policy->log_std().empty() ? "discrete" : "gaussian");
    policy->save(folder);
    PolicyRestoreReport report;
    auto restored = Policy::from_checkpoint(folder, PolicyRestoreOptions(), &report);
    EXPECT_TRUE(report.example_checked);
    EXPECT_TRUE(report.bit_identical);
    EXPECT_EQ(report.example_rows, 16u);
    EXPECT_EQ(report.format_version, kCheckpointFormatVersion);
    EXPECT_TRUE(same_bits(restored->model().flat_parameters(), policy->model().flat_parameters()));
    EXPECT_TRUE(same_bits(restored->log_std(), policy->log_std()));
    if (policy->observation_statistics()) {
      EXPECT_EQ(restored->observation_statistics()->mean(),
                policy->observation_statistics()->mean());
      EXPECT_EQ(restored->observation_statistics()->var(), policy->observation_statistics()->var());
      EXPECT_EQ(restored->observation_statistics()->count(),
                policy->observation_statistics()->count());
    }
    // Fresh observations: the same actions and values.
    const std::vector<float> fresh = sample_observations(policy->observation_space(), 50, 77);
    EXPECT_TRUE(record_policy_example(*policy, fresh) == record_policy_example(*restored, fresh));
  }
}

TEST(PolicyCheckpoint, RefusesToOverwriteUnlessAsked) {
  ScratchDir dir;
  auto policy = discrete_policy();
  policy->save(dir / "p");
  EXPECT_THROW(policy->save(dir / "p"), Error);
  EXPECT_NO_THROW(policy->save(dir / "p", /*overwrite=*/true));
}

class BrokenPolicyFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    folder = dir / "policy";
    gaussian_policy()->save(folder);
  }
  std::string load_error(const PolicyRestoreOptions& options = {}) {
    return testing::error_of([&] { load_policy(folder, options); });
  }
  ScratchDir dir;
  fs::path folder;
};

TEST_F(BrokenPolicyFolder, MissingPathOrWrongFolder) {
  EXPECT_NE(testing::error_of([&] { load_policy(dir / "nope"); }).find("does not exist"),
            std::string::npos);
  fs::create_directories(dir / "empty");
  EXPECT_NE(testing::error_of([&] { load_policy(dir / "empty"); }).find("neither a policy folder"),
            std::string::npos);
}

TEST_F(BrokenPolicyFolder, MissingFile) {
  fs::remove(folder / "example.safetensors");
  EXPECT_NE(load_error().find("missing file 'example.safetensors'"), std::string::npos)
      << load_error();
}

TEST_F(BrokenPolicyFolder, ExtraFile) {
  write_file_atomically(folder / "notes.txt", std::string_view("hello"));
  EXPECT_NE(load_error().find("unexpected file 'notes.txt'"), std::string::npos) << load_error();
}

TEST_F(BrokenPolicyFolder, ChecksumMismatch) {
  std::vector<std::byte> w = read_file(folder / "weights.safetensors");
  w[w.size() - 3] ^= std::byte{0x40};
  write_file_atomically(folder / "weights.safetensors", w);
  const std::string e = load_error();
  EXPECT_NE(e.find("weights.safetensors: checksum mismatch"), std::string::npos) << e;
}

TEST_F(BrokenPolicyFolder, TruncatedTensorFile) {
  std::vector<std::byte> w = read_file(folder / "weights.safetensors");
  w.resize(w.size() / 2);
  write_file_atomically(folder / "weights.safetensors", w);
  EXPECT_NE(load_error().find("weights.safetensors: size mismatch"), std::string::npos)
      << load_error();
  rehash(folder, "cairn_policy.json");  // a consistent manifest: the tensor file itself is refused
  const std::string e = load_error();
  EXPECT_NE(e.find("weights.safetensors"), std::string::npos) << e;
  EXPECT_EQ(e.find("checksum"), std::string::npos) << e;
}

TEST_F(BrokenPolicyFolder, WrongShapeAndDtype) {
  const std::vector<float> four(4, 0.0f);
  replace_tensor(folder, "weights.safetensors", "pi/dense_0/bias", Tensor::f32(four, {4}));
  EXPECT_NE(load_error().find("tensor 'pi/dense_0/bias' has shape [4], expected [64]"),
            std::string::npos)
      << load_error();
  const std::vector<double> d64(64, 0.0);
  replace_tensor(folder, "weights.safetensors", "pi/dense_0/bias", Tensor::f64(d64, {64}));
  EXPECT_NE(load_error().find("has dtype F64, expected F32"), std::string::npos) << load_error();
}

TEST_F(BrokenPolicyFolder, MissingAndUnexpectedTensors) {
  TensorDict w = read_safetensors(folder / "weights.safetensors");
  w.erase("log_std");
  write_safetensors(folder / "weights.safetensors", w);
  rehash(folder, "cairn_policy.json");
  EXPECT_NE(load_error().find("missing tensor 'log_std'"), std::string::npos) << load_error();
  gaussian_policy()->save(folder, true);
  const std::vector<float> one(1, 0.0f);
  replace_tensor(folder, "weights.safetensors", "pi/extra", Tensor::f32(one, {1}));
  EXPECT_NE(load_error().find("unexpected tensor 'pi/extra'"), std::string::npos) << load_error();
}

TEST_F(BrokenPolicyFolder, MalformedJson) {
  write_file_atomically(folder / "cairn_policy.json",
                        std::string_view("{\"kind\": \"cairn.policy\", "));
  EXPECT_NE(load_error().find("cairn_policy.json: malformed JSON"), std::string::npos)
      << load_error();
}

TEST_F(BrokenPolicyFolder, UnknownLayer) {
  edit_json(folder / "cairn_policy.json",
            [](nlohmann::json& m) { m["model"]["blocks"][0]["layers"][0]["type"] = "dense_v9"; });
  const std::string e = load_error();
  EXPECT_NE(e.find("cairn_policy.json: field 'model'"), std::string::npos) << e;
  EXPECT_NE(e.find("dense_v9"), std::string::npos) << e;
}

TEST_F(BrokenPolicyFolder, NewerFormatVersionSaysWhichIsNeeded) {
  edit_json(folder / "cairn_policy.json", [](nlohmann::json& m) { m["format_version"] = 7; });
  const std::string e = load_error();
  EXPECT_NE(e.find("format version 7 is newer"), std::string::npos) << e;
  EXPECT_NE(e.find("needs a cairn that reads format version 7"), std::string::npos) << e;
  edit_json(folder / "cairn_policy.json", [](nlohmann::json& m) { m["kind"] = "cairn.something"; });
  EXPECT_NE(load_error().find("field 'kind'"), std::string::npos) << load_error();
}

TEST_F(BrokenPolicyFolder, ExampleMismatchSaysWhatDifferedAndByHowMuch) {
  TensorDict w = read_safetensors(folder / "weights.safetensors");
  std::vector<float> bias = w.values<float>("vf/dense_2/bias");
  bias[0] += 0.5f;
  w.insert_or_assign("vf/dense_2/bias", Tensor::f32(bias, {1}));
  write_safetensors(folder / "weights.safetensors", w);
  rehash(folder, "cairn_policy.json");
  const std::string e = load_error();
  EXPECT_NE(e.find("does not reproduce the recorded example: 'value' deviates by up to"),
            std::string::npos)
      << e;
  PolicyRestoreOptions no_check;
  no_check.verify_example = false;
  PolicyRestoreReport report;
  EXPECT_NO_THROW(load_policy(folder, no_check, &report));
  EXPECT_FALSE(report.example_checked);
}

TEST_F(BrokenPolicyFolder, SmallDeviationsAreAcceptedAndReported) {
  // As on another machine: last-bit differences in the recorded outputs.
  TensorDict ex = read_safetensors(folder / "example.safetensors");
  std::vector<float> v = ex.values<float>("value");
  v[0] = std::nextafter(v[0], 1e9f);
  ex.insert_or_assign("value", Tensor::f32(v, {static_cast<int64_t>(v.size()), 1}));
  write_safetensors(folder / "example.safetensors", ex);
  rehash(folder, "cairn_policy.json");
  PolicyRestoreReport report;
  load_policy(folder, {}, &report);
  EXPECT_TRUE(report.example_checked);
  EXPECT_FALSE(report.bit_identical);
  EXPECT_GT(report.max_abs_deviation, 0.0);
  EXPECT_LT(report.max_abs_deviation, 1e-6);
}

TEST(PolicyCheckpoint, PolicyIdsAreValidated) {
  for (const char* bad : {"", ".", "..", "a/b", "a\\b", "../x", "p q"}) {
    EXPECT_THROW(validate_policy_id(bad), Error) << bad;
  }
  EXPECT_NO_THROW(validate_policy_id("default_policy"));
  EXPECT_NO_THROW(validate_policy_id("learner-2.v1"));
}

}  // namespace
}  // namespace cairn
