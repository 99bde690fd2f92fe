// Run folders: what holds a run, the writer's lock, replacing a run, debris, and a
// CheckpointManager that never touches another run's checkpoints.
#include "cairn/checkpoint/run_folder.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"
#include "support/unprivileged.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;
using namespace checkpoint_testing;

void touch(const fs::path& p) {
  std::ofstream(p) << "x\n";
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

PPOConfig tiny_config(uint64_t seed) {
  PPOConfig c = ppo_preset("CartPole-v1");
  c.num_envs = 2;
  c.num_steps = 8;
  c.num_minibatches = 1;
  c.num_epochs = 1;
  c.seed = seed;
  return c;
}

TEST(RunFolder, WhatHoldsARun) {
  ScratchDir dir;
  EXPECT_FALSE(holds_run(dir / "missing"));
  fs::create_directories(dir / "empty");
  EXPECT_FALSE(holds_run(dir / "empty"));
  { RunLock lock(dir / "empty"); }  // the lock file alone is no run
  EXPECT_FALSE(holds_run(dir / "empty"));
  fs::create_directories(dir / "other");
  touch(dir / "other/notes.txt");
  touch(dir / "other/.checkpoint_000001.tmp-1-2-3");  // debris is no run
  EXPECT_FALSE(holds_run(dir / "other"));
  for (const char* entry : {"latest", "metrics.csv", "metrics.jsonl", "checkpoint_000007"}) {
    const fs::path run = dir / (std::string("run_") + entry);
    fs::create_directories(run);
    touch(run / entry);
    EXPECT_TRUE(holds_run(run)) << entry;
  }
}

TEST(RunLock, ASecondWriterIsRefusedAtOnceWithTheHoldersPid) {
  ScratchDir dir;
  const fs::path run = dir / "a/b/run";  // created with its parents
  EXPECT_FALSE(RunLock::holder(run).has_value());
  {
    RunLock first(run);
    EXPECT_EQ(RunLock::holder(run).value_or(-1), static_cast<long>(::getpid()));
    EXPECT_ERROR_CONTAINS(RunLock second(run),
                          "is in use by process " + std::to_string(::getpid()));
    EXPECT_ERROR_CONTAINS(CheckpointManager manager(run), "in use by process");
    RunLock moved = std::move(first);  // still held
    EXPECT_ERROR_CONTAINS(RunLock second(run), "in use");
  }
  EXPECT_FALSE(RunLock::holder(run).has_value());
  EXPECT_NO_THROW(RunLock again(run));
}

TEST(RunLock, AKilledHolderLeavesNoStaleLock) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RunLock lock(run);
    const char c = 'x';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_EQ(RunLock::holder(run).value_or(-1), static_cast<long>(child));
  EXPECT_ERROR_CONTAINS(RunLock second(run), "process " + std::to_string(child));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_FALSE(RunLock::holder(run).has_value());
  EXPECT_NO_THROW(RunLock mine(run));
}

TEST(RunLock, AFolderThatCannotBeWrittenGivesTheSystemsReason) {
  ScratchDir dir;
  touch(dir / "file");
  EXPECT_ERROR_CONTAINS(RunLock lock(dir / "file"), "cannot create run folder");
  EXPECT_ERROR_CONTAINS(RunLock lock(dir / "file/run"), "Not a directory");
  fs::create_directories(dir / "readonly");
  fs::permissions(dir / "readonly", fs::perms::owner_read | fs::perms::owner_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
  // As `nobody` when the suite runs as root, which would write into the folder anyway.
  const std::string message =
      testing_io::error_message_unprivileged([&] { RunLock lock(dir / "readonly"); });
  EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
  EXPECT_NE(message.find((dir / "readonly").string()), std::string::npos) << message;
}

TEST(RunFolder, ANewRunIsRefusedAFolderHoldingARun) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  fs::create_directories(run / "checkpoint_000001");
  write_file_atomically(run / "latest", "checkpoint_000001\n");
  touch(run / "metrics.csv");
  const std::string message =
      testing::error_of([&] { open_run_folder(run, RunFolderUse::kNewRun); });
  EXPECT_NE(message.find("already holds a run (checkpoint_000001, latest, metrics.csv)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("cairn train --resume " + run.string()), std::string::npos) << message;
  EXPECT_NE(message.find("--overwrite"), std::string::npos) << message;
  EXPECT_FALSE(RunLock::holder(run).has_value());  // the refusal released the lock
  // Without a checkpoint there is nothing to resume, and the message says so.
  fs::create_directories(dir / "partial");
  touch(dir / "partial/metrics.jsonl");
  EXPECT_ERROR_CONTAINS(open_run_folder(dir / "partial", RunFolderUse::kNewRun),
                        "no complete checkpoint to resume");
  EXPECT_NO_THROW(open_run_folder(run, RunFolderUse::kContinueRun));
  EXPECT_NO_THROW(open_run_folder(dir / "fresh", RunFolderUse::kNewRun));
}

TEST(RunFolder, ReplacingARunSwapsInAnEmptyLockedFolder) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  fs::create_directories(run / "checkpoint_000001");
  touch(run / "checkpoint_000001/cairn_checkpoint.json");
  write_file_atomically(run / "latest", "checkpoint_000001\n");
  touch(run / "metrics.csv");
  touch(run / "learning_curve.svg");
  {
    RunLock lock = open_run_folder(run, RunFolderUse::kReplaceRun);
    EXPECT_EQ(lock.run_dir(), run);
    EXPECT_EQ(names_in(run), std::vector<std::string>{".lock"});
    EXPECT_EQ(RunLock::holder(run).value_or(-1), static_cast<long>(::getpid()));
    EXPECT_ERROR_CONTAINS(RunLock second(run), "in use");
    // Nothing of the old run is left beside it either.
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"run"});
  }
  EXPECT_FALSE(RunLock::holder(run).has_value());
  // A folder holding no run is used as it is.
  touch(run / "notes.txt");
  EXPECT_NO_THROW(open_run_folder(run, RunFolderUse::kReplaceRun));
  EXPECT_TRUE(fs::exists(run / "notes.txt"));
}

TEST(RunFolder, OpeningRemovesTheDebrisOfKilledWritersAndNothingElse) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  fs::create_directories(run / ".checkpoint_000003.tmp-123-0-456/policies");
  touch(run / ".checkpoint_000003.tmp-123-0-456/policies/weights.safetensors");
  fs::create_directories(run / ".deleting-checkpoint_000001");
  for (const char* f : {".latest.tmp-1-2-3", ".metrics.csv.tmp-4-5-6", ".metrics.jsonl.tmp-7-8-9",
                        ".learning_curve.svg.tmp-1-1-1", "metrics.csv.tmp"}) {
    touch(run / f);
  }
  // Not debris: the user's files, and hidden names cairn does not write.
  for (const char* f : {"notes.txt", ".hidden", ".checkpoint_notes.tmp-1", ".x.tmp-1"}) {
    touch(run / f);
  }
  { CheckpointManager manager(run); }
  EXPECT_EQ(names_in(run), (std::vector<std::string>{".checkpoint_notes.tmp-1", ".hidden", ".lock",
                                                     ".x.tmp-1", "notes.txt"}));
}

TEST(CheckpointManagerRuns, SaveNeverOverwritesOrDeletesAnotherRunsCheckpoints) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  PPO a(tiny_config(1));
  a.train();
  { CheckpointManager(run).save(a); }
  const std::string a_state = text_of(run / "checkpoint_000001/algorithm_state.safetensors");

  // Another run (another seed) saving at the same iteration, or anywhere in the folder.
  PPO b(tiny_config(2));
  b.train();
  {
    CheckpointManager manager(run, RetentionPolicy{.keep_last = 1});
    EXPECT_ERROR_CONTAINS(manager.save(b), "'checkpoint_000001' of another run");
    b.train();
    EXPECT_ERROR_CONTAINS(manager.save(b), "of another run");
  }
  EXPECT_EQ(text_of(run / "checkpoint_000001/algorithm_state.safetensors"), a_state);
  EXPECT_EQ(text_of(run / "latest"), "checkpoint_000001\n");
  EXPECT_FALSE(fs::exists(run / "checkpoint_000002"));

  // The same run (same config) continues, and may rewrite its own checkpoint.
  PPO a_again(tiny_config(1));
  a_again.train();
  CheckpointManager manager(run, RetentionPolicy{.keep_last = 1});
  EXPECT_NO_THROW(manager.save(a_again));
  a_again.train();
  EXPECT_NO_THROW(manager.save(a_again));
  EXPECT_EQ(manager.checkpoints(), std::vector<fs::path>{run / "checkpoint_000002"});
}

TEST(CheckpointManagerRuns, KeepBestRanksOnlyFiniteMetrics) {
  ScratchDir dir;
  const fs::path run = dir / "run";
  PPO ppo(tiny_config(3));
  CheckpointManager manager(run, RetentionPolicy{.keep_last = 1, .keep_best = 2});
  // A diverged run's NaN mean return is written as null: it must never count as best.
  auto without_metric = [&](const fs::path& checkpoint) {
    edit_json(checkpoint / "cairn_checkpoint.json",
              [](nlohmann::json& m) { m["last_result"]["episode_return_mean"] = nullptr; });
  };
  ppo.train();
  without_metric(manager.save(ppo));
  ppo.train();
  without_metric(manager.save(ppo));
  ppo.train();
  const fs::path newest = manager.save(ppo);
  // Only the newest is left: neither metric-less checkpoint is one of the best two.
  EXPECT_EQ(manager.checkpoints(), std::vector<fs::path>{newest});

  ppo.train();
  const fs::path good = manager.save(ppo);
  edit_json(good / "cairn_checkpoint.json",
            [](nlohmann::json& m) { m["last_result"]["episode_return_mean"] = 1e6; });
  ppo.train();
  without_metric(manager.save(ppo));
  ppo.train();
  const fs::path last = manager.save(ppo);
  const std::vector<fs::path> kept = manager.checkpoints();
  EXPECT_NE(std::find(kept.begin(), kept.end(), good), kept.end());
  EXPECT_NE(std::find(kept.begin(), kept.end(), last), kept.end());
  EXPECT_FALSE(fs::exists(run / "checkpoint_000005"));
}

}  // namespace
}  // namespace cairn
