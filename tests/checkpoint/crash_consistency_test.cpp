// Kills a training process (SIGKILL) at random moments, many of them while it writes a
// checkpoint, and checks every time that the checkpoints under final names are complete:
// the newest loads and resumes, every one verifies.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/policy_checkpoint.h"
#include "cairn/random.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

pid_t spawn(const std::vector<std::string>& argv) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // Quiet child: its output is not part of the test's.
    freopen("/dev/null", "w", stdout);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

TEST(CrashConsistency, SigkillNeverLeavesAHalfCheckpointUnderAFinalName) {
  const std::string cli = std::string(CAIRN_BINARY_DIR) + "/apps/cairn/cairn";
  ASSERT_TRUE(fs::exists(cli)) << cli;
  testing_io::ScratchDir dir;
  const fs::path run = dir / "run";
  Rng rng(2024);
  int kills_with_checkpoints = 0;
  for (int round = 0; round < 16; ++round) {
    std::vector<std::string> argv = {
        cli,      "train", "--quiet",          "--eval-episodes", "0", "--checkpoint-every", "1",
        "--keep", "3",     "--stop-timesteps", "1000000000000"};
    if (fs::exists(run / "latest")) {
      argv.insert(argv.end(), {"--resume", run.string()});
    } else {
      argv.insert(argv.end(), {"--env", "CartPole-v1", "--out", run.string()});
    }
    const pid_t pid = spawn(argv);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(100000 + rng.below(400000)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "round " << round << ": the trainer exited by itself, status " << status;

    if (!fs::exists(run / "latest")) continue;
    ++kills_with_checkpoints;
    const fs::path newest = resolve_checkpoint(run);
    std::unique_ptr<PPO> resumed;
    ASSERT_NO_THROW(resumed = PPO::from_checkpoint(newest)) << "round " << round << ": " << newest;
    EXPECT_NO_THROW(resumed->train());
    for (const fs::path& c : CheckpointManager(run).checkpoints()) {
      EXPECT_NO_THROW(PPO::verify_checkpoint(c)) << "round " << round << ": " << c;
      EXPECT_NO_THROW(load_policy(c)) << "round " << round << ": " << c;
    }
  }
  EXPECT_GT(kills_with_checkpoints, 10);
}

}  // namespace
}  // namespace cairn
