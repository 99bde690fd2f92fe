// Checkpoints an attacker or an accident shaped: links, pipes, loops, hostile manifests and
// algorithm states. Each is refused with a cairn::Error naming what is wrong, by every
// reader (restoring a policy, resuming, verifying for inspect), never a hang or another
// exception type.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;
using namespace checkpoint_testing;

class HostileCheckpoint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new ScratchDir;
    PPOConfig c = ppo_preset("CartPole-v1");
    c.num_envs = 2;
    c.num_steps = 16;
    c.num_minibatches = 2;
    c.num_epochs = 1;
    PPO ppo(c);
    ppo.train();
    ppo.save_checkpoint(*source_ / "ckpt");
  }
  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
  }
  void SetUp() override {
    path = dir / "ckpt";
    fs::copy(*source_ / "ckpt", path, fs::copy_options::recursive);
    policy = path / "policies" / "default_policy";
  }

  // The errors of the three readers of an algorithm checkpoint, each within a few seconds
  // (a reader blocked on a named pipe is released by opening it for writing).
  std::vector<std::string> errors_of_every_reader(const fs::path& pipe = {}) {
    std::vector<std::string> out;
    for (const auto& read : std::vector<std::function<void()>>{
             [&] { Policy::from_checkpoint(path); },
             [&] { PPO::verify_checkpoint(path); },
             [&] { PPO::from_checkpoint(path); },
         }) {
      auto result = std::async(std::launch::async, [&] { return testing::error_of(read); });
      if (result.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
        if (!pipe.empty()) {
          const int fd = ::open(pipe.c_str(), O_WRONLY | O_NONBLOCK);
          if (fd >= 0) ::close(fd);
        }
        result.wait();
        out.push_back("(blocked)");
      } else {
        out.push_back(result.get());
      }
    }
    return out;
  }

  void expect_every_reader_says(const std::string& text, const fs::path& pipe = {}) {
    for (const std::string& error : errors_of_every_reader(pipe)) {
      EXPECT_NE(error.find(text), std::string::npos)
          << "expected \"" << text << "\", got: " << error;
    }
  }

  static ScratchDir* source_;
  ScratchDir dir;
  fs::path path, policy;
};

ScratchDir* HostileCheckpoint::source_ = nullptr;

TEST_F(HostileCheckpoint, TheUntouchedCopyLoads) {
  for (const std::string& error : errors_of_every_reader()) EXPECT_EQ(error, "(no error)");
}

TEST_F(HostileCheckpoint, ASymlinkedFileIsNamedAsALink) {
  // The very same bytes, behind a link: checkpoints never contain links.
  fs::rename(policy / "weights.safetensors", dir / "weights.safetensors");
  fs::create_symlink(dir / "weights.safetensors", policy / "weights.safetensors");
  expect_every_reader_says("weights.safetensors' is a symbolic link");
}

TEST_F(HostileCheckpoint, ASymlinkLoopIsACleanError) {
  fs::remove(policy / "example.safetensors");
  fs::create_symlink("example.safetensors", policy / "example.safetensors");
  expect_every_reader_says("example.safetensors' is a symbolic link");
  fs::create_symlink("loop", dir / "loop");
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(dir / "loop"), "cannot access");
  EXPECT_ERROR_CONTAINS(PPO::from_checkpoint(dir / "loop"), "cannot access");
}

TEST_F(HostileCheckpoint, ANamedPipeIsRefusedWithoutBlocking) {
  for (const char* name : {"example.safetensors", "cairn_policy.json"}) {
    SCOPED_TRACE(name);
    const fs::path file = policy / name;
    fs::rename(file, dir / name);
    ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
    expect_every_reader_says(std::string(name) + "' is not a regular file or folder", file);
    fs::remove(file);
    fs::rename(dir / name, file);
  }
  const fs::path manifest = path / "cairn_checkpoint.json";
  fs::rename(manifest, dir / "m.json");
  ASSERT_EQ(::mkfifo(manifest.c_str(), 0600), 0);
  expect_every_reader_says("'cairn_checkpoint.json' is not a regular file or folder", manifest);
}

TEST_F(HostileCheckpoint, ThePolicyListIsCheckedByEveryReader) {
  for (const char* ids : {R"([".."])", "[]", R"(["default_policy", "default_policy"])",
                          R"("default_policy")", "[1]", R"(["a/b"])"}) {
    SCOPED_TRACE(ids);
    edit_json(path / "cairn_checkpoint.json",
              [&](nlohmann::json& m) { m["policy_ids"] = nlohmann::json::parse(ids); });
    expect_every_reader_says("field 'policy_ids'");
  }
  edit_json(path / "cairn_checkpoint.json", [](nlohmann::json& m) { m.erase("policy_ids"); });
  expect_every_reader_says("missing field 'policy_ids'");
  // A policy the list does not name is not restored, even if its folder is there.
  edit_json(path / "cairn_checkpoint.json", [](nlohmann::json& m) { m["policy_ids"] = {"other"}; });
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(path), "its policy_ids are 'other'");
}

// What resuming refuses, verifying (cairn inspect) refuses too, with the same message.
TEST_F(HostileCheckpoint, VerifyingRefusesWhatResumingRefuses) {
  const fs::path state = path / "algorithm_state.safetensors";
  const TensorDict good = read_safetensors(state);
  auto with_state = [&](const std::function<void(TensorDict&)>& edit) {
    TensorDict d = good;
    edit(d);
    write_safetensors(state, d);
    rehash(path, "cairn_checkpoint.json");
  };
  auto expect_both = [&](const std::string& text) {
    const std::string verify = testing::error_of([&] { PPO::verify_checkpoint(path); });
    const std::string resume = testing::error_of([&] { PPO::from_checkpoint(path); });
    EXPECT_NE(verify.find(text), std::string::npos) << verify;
    EXPECT_EQ(verify, resume);
  };
  std::vector<int64_t> counters = good.at("counters").to_vector<int64_t>();
  counters[0] = -5;
  with_state([&](TensorDict& d) { d.insert_or_assign("counters", Tensor::i64(counters, {5})); });
  edit_json(path / "cairn_checkpoint.json",
            [](nlohmann::json& m) { m["counters"]["iteration"] = -5; });
  expect_both("tensor 'counters' holds a negative iteration (-5)");
  const int64_t iteration = good.at("counters").to_vector<int64_t>()[0];
  edit_json(path / "cairn_checkpoint.json",
            [&](nlohmann::json& m) { m["counters"]["iteration"] = iteration; });

  const std::vector<double> as_double(counters.begin(), counters.end());
  with_state([&](TensorDict& d) { d.insert_or_assign("counters", Tensor::f64(as_double, {5})); });
  expect_both("'counters'");

  with_state([&](TensorDict& d) {
    std::vector<uint64_t> w = d.at("rng/actions").to_vector<uint64_t>();
    w[4] = 7;
    d.insert_or_assign("rng/actions", Tensor::from_values<uint64_t>(w, {6}));
  });
  expect_both("tensor 'rng/actions' is not a generator state");

  with_state([&](TensorDict& d) {
    const std::vector<double> one = {1.0};
    d.insert_or_assign("train_seconds", Tensor::f64(one, {1}));
  });
  expect_both("'train_seconds'");

  with_state([](TensorDict&) {});
  edit_json(path / "cairn_checkpoint.json",
            [](nlohmann::json& m) { m["counters"]["iteration"] = 7; });
  expect_both("field 'counters.iteration' is 7");
  edit_json(path / "cairn_checkpoint.json",
            [](nlohmann::json& m) { m["counters"]["iteration"] = "1"; });
  expect_both("field 'counters.iteration' must be a non-negative integer");
  edit_json(path / "cairn_checkpoint.json", [&](nlohmann::json& m) {
    m["counters"]["iteration"] = iteration;
    m["environment_state_saved"] = "yes";
  });
  expect_both("field 'environment_state_saved' must be true or false");
}

TEST_F(HostileCheckpoint, ManifestsAreParsedStrictlyAndBounded) {
  const fs::path manifest = policy / "cairn_policy.json";
  std::string text = text_of(manifest);
  text.insert(1, "\"kind\": \"cairn.policy\",\n");  // a second "kind"
  write_file_atomically(manifest, text);
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(policy), "duplicate key 'kind'");
  write_file_atomically(manifest, std::string(size_t{17} << 20, ' '));
  EXPECT_ERROR_CONTAINS(Policy::from_checkpoint(policy),
                        "more than a checkpoint manifest may have");
  for (const char* version : {"null", "\"1\"", "1.5", "[1]"}) {
    edit_json(path / "cairn_checkpoint.json",
              [&](nlohmann::json& m) { m["format_version"] = nlohmann::json::parse(version); });
    expect_every_reader_says("field 'format_version' must be a positive integer");
  }
}

}  // namespace
}  // namespace cairn
