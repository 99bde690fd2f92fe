#include <gtest/gtest.h>

#include <cstring>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "simple_corridor.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;
using namespace checkpoint_testing;

// Every metric of a result except the wall-clock ones.
void expect_same_result(const TrainResult& a, const TrainResult& b) {
  nlohmann::json ja = a.to_json(), jb = b.to_json();
  for (const char* timing : {"steps_per_second", "time_elapsed"}) {
    ja.erase(timing);
    jb.erase(timing);
  }
  EXPECT_EQ(ja.dump(), jb.dump());
}

// The algorithm state of a checkpoint, without the training time (wall-clock).
TensorDict state_of(const fs::path& checkpoint) {
  TensorDict d = read_safetensors(checkpoint / "algorithm_state.safetensors");
  d.erase("train_seconds");
  return d;
}

void expect_bit_identical_resume(PPOConfig config) {
  ScratchDir dir;
  PPO uninterrupted(config);
  std::vector<TrainResult> straight;
  for (int i = 0; i < 6; ++i) straight.push_back(uninterrupted.train());
  uninterrupted.save_checkpoint(dir / "straight");

  PPO first_half(config);
  for (int i = 0; i < 3; ++i) first_half.train();
  first_half.save_checkpoint(dir / "half");
  std::unique_ptr<PPO> resumed = PPO::from_checkpoint(dir / "half");
  EXPECT_EQ(resumed->iteration(), 3);
  for (int i = 3; i < 6; ++i)
    expect_same_result(resumed->train(), straight[static_cast<size_t>(i)]);
  resumed->save_checkpoint(dir / "resumed");

  EXPECT_TRUE(same_bits(resumed->policy().model().flat_parameters(),
                        uninterrupted.policy().model().flat_parameters()));
  EXPECT_TRUE(same_bits(resumed->policy().log_std(), uninterrupted.policy().log_std()));
  // Optimiser moments, generators, counters, episode and reward statistics, environments.
  const TensorDict a = state_of(dir / "straight"), b = state_of(dir / "resumed");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(tensor == b.at(name)) << name << " differs after resuming";
  }
  EXPECT_TRUE(read_safetensors(dir / "straight/policies/default_policy/weights.safetensors") ==
              read_safetensors(dir / "resumed/policies/default_policy/weights.safetensors"));
}

TEST(AlgorithmCheckpoint, ResumesCartPoleBitIdentically) {
  PPOConfig c = ppo_preset("CartPole-v1");
  c.seed = 11;
  expect_bit_identical_resume(c);
}

TEST(AlgorithmCheckpoint, ResumesPendulumWithNormalisationBitIdentically) {
  PPOConfig c = ppo_preset("Pendulum-v1");
  ASSERT_TRUE(c.normalize_observations);
  ASSERT_TRUE(c.normalize_rewards);
  c.num_steps = 256;
  c.num_minibatches = 4;
  c.seed = 12;
  expect_bit_identical_resume(c);
}

// Memory: each environment's recurrent state and episode-start flag carry across iterations
// and are part of the checkpoint ("memory/state", "memory/episode_start"), so a resumed
// recurrent run continues bit for bit.
TEST(AlgorithmCheckpoint, ResumesRecurrentStatelessCartPoleBitIdentically) {
  PPOConfig c = ppo_preset("StatelessCartPole-v1");
  ASSERT_FALSE(c.memory.is_null());
  c.seed = 13;
  expect_bit_identical_resume(c);
}

TEST(AlgorithmCheckpoint, ResumesGruPendulumBitIdentically) {
  PPOConfig c = ppo_preset("Pendulum-v1");
  c.memory = {{"cell", "gru"}, {"units", 16}};
  c.num_steps = 64;
  c.max_seq_len = 16;
  c.num_minibatches = 4;
  c.seed = 14;
  expect_bit_identical_resume(c);
  PPO ppo(c);
  ppo.train();
  ScratchDir dir;
  ppo.save_checkpoint(dir / "c");
  const TensorDict state = state_of(dir / "c");
  EXPECT_EQ(state.at("memory/state").shape(),
            (std::vector<int64_t>{c.num_envs, static_cast<int64_t>(ppo.policy().state_size())}));
  EXPECT_EQ(state.at("memory/episode_start").shape(), (std::vector<int64_t>{c.num_envs}));
}

// MuJoCo: the environments' complete simulation state (the solver's warm start and the
// quantities the last mj_step derived, MujocoEnv::get_state) is in the checkpoint, so a
// resumed run on HalfCheetah, with contacts, continues bit for bit.
TEST(AlgorithmCheckpoint, ResumesHalfCheetahBitIdentically) {
  PPOConfig c = ppo_preset("Pendulum-v1");
  c.env_id = "HalfCheetah-v5";
  c.num_envs = 2;
  c.num_steps = 128;
  c.num_minibatches = 4;
  c.seed = 13;
  expect_bit_identical_resume(c);
}

// The founding story: a custom environment and the custom model, a checkpoint every
// iteration; every checkpoint's policy folder restores alone to that iteration's trained
// parameters (not the initial ones) and acts as the trained policy did.
TEST(AlgorithmCheckpoint, FoundingStoryEveryCheckpointHoldsTheTrainedPolicy) {
  corridor::register_simple_corridor();
  ScratchDir dir;
  PPOConfig c = ppo_preset("SimpleCorridor-v0");
  c.num_steps = 32;
  PPO ppo(c);
  const std::vector<float> initial(ppo.policy().model().flat_parameters().begin(),
                                   ppo.policy().model().flat_parameters().end());
  const std::vector<float> fresh = sample_observations(ppo.policy().observation_space(), 40, 5);
  struct Snapshot {
    std::vector<float> params;
    TensorDict outputs;
  };
  std::vector<Snapshot> snapshots;
  for (int i = 1; i <= 10; ++i) {
    ppo.train();
    const auto p = ppo.policy().model().flat_parameters();
    snapshots.push_back({{p.begin(), p.end()}, record_policy_example(ppo.policy(), fresh)});
    ppo.save_checkpoint(dir / ("checkpoint_" + std::to_string(i)));
  }
  for (int i = 1; i <= 10; ++i) {
    const Snapshot& s = snapshots[static_cast<size_t>(i - 1)];
    PolicyRestoreReport report;
    std::unique_ptr<Policy> policy = Policy::from_checkpoint(
        dir / ("checkpoint_" + std::to_string(i)) / "policies" / "default_policy",
        PolicyRestoreOptions(), &report);
    EXPECT_TRUE(report.bit_identical) << i;
    EXPECT_TRUE(same_bits(policy->model().flat_parameters(), s.params)) << "checkpoint " << i;
    EXPECT_FALSE(same_bits(policy->model().flat_parameters(), initial)) << "checkpoint " << i;
    EXPECT_TRUE(record_policy_example(*policy, fresh) == s.outputs) << "checkpoint " << i;
    // The algorithm checkpoint plus a policy id reaches the same policy.
    std::unique_ptr<Policy> via_id =
        Policy::from_checkpoint(dir / ("checkpoint_" + std::to_string(i)));
    EXPECT_TRUE(same_bits(via_id->model().flat_parameters(), s.params));
  }
}

class BrokenAlgorithmCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    PPOConfig c = ppo_preset("CartPole-v1");
    PPO ppo(c);
    ppo.train();
    path = dir / "ckpt";
    ppo.save_checkpoint(path);
  }
  std::string error() {
    return testing::error_of([&] { PPO::from_checkpoint(path); });
  }
  ScratchDir dir;
  fs::path path;
};

TEST_F(BrokenAlgorithmCheckpoint, EachProblemIsNamed) {
  EXPECT_NO_THROW(PPO::from_checkpoint(path));
  write_file_atomically(path / "extra.bin", std::string_view("x"));
  EXPECT_NE(error().find("unexpected file 'extra.bin'"), std::string::npos) << error();
  fs::remove(path / "extra.bin");
  std::vector<std::byte> s = read_file(path / "algorithm_state.safetensors");
  s[s.size() - 1] ^= std::byte{1};
  write_file_atomically(path / "algorithm_state.safetensors", s);
  EXPECT_NE(error().find("algorithm_state.safetensors: checksum mismatch"), std::string::npos)
      << error();
  fs::remove(path / "algorithm_state.safetensors");
  EXPECT_NE(error().find("missing file 'algorithm_state.safetensors'"), std::string::npos)
      << error();
  EXPECT_NE(testing::error_of([&] { PPO::from_checkpoint(dir / "none"); }).find("does not exist"),
            std::string::npos);
}

TEST_F(BrokenAlgorithmCheckpoint, ConfigAndVersionErrors) {
  edit_json(path / "cairn_checkpoint.json",
            [](nlohmann::json& m) { m["config"]["learning_rat"] = 1; });
  EXPECT_NE(error().find("field 'config': PPO config: unknown key 'learning_rat'"),
            std::string::npos)
      << error();
  edit_json(path / "cairn_checkpoint.json", [](nlohmann::json& m) { m["format_version"] = 2; });
  EXPECT_NE(error().find("needs a cairn that reads format version 2"), std::string::npos)
      << error();
}

}  // namespace
}  // namespace cairn
