// `cairn train` and run folders: one run per folder, one writer at a time, --overwrite,
// and the flags that make no sense refused.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cairn/checkpoint/run_folder.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"
#include "support/unprivileged.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::CliRun;
using testing_cli::read_text;
using testing_cli::run_cli;

const std::string kQuick = " --eval-episodes 0 --quiet";

void expect_one_line_error(const CliRun& r, const std::string& args, const std::string& text) {
  EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  EXPECT_EQ(r.out.rfind("cairn ", 0), 0u) << args << ": " << r.out;
  EXPECT_NE(r.out.find(text), std::string::npos)
      << args << ": expected '" << text << "' in " << r.out;
}

std::vector<std::string> checkpoints_in(const fs::path& run) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(run)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint_", 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string env_of(const fs::path& checkpoint) {
  return nlohmann::json::parse(
      read_text((checkpoint / "cairn_checkpoint.json").string()))["config"]["env_id"];
}

TEST(RunFolderCli, TrainOutRefusesAFolderHoldingARunAndOverwriteReplacesIt) {
  testing_io::ScratchDir dir;
  const fs::path seq = dir / "seq";
  ASSERT_EQ(run_cli("train --env CartPole-v1 --out " + seq.string() +
                    " --checkpoint-every 1 --stop-iters 3" + kQuick)
                .exit_code,
            0);
  const std::string csv = read_text((seq / "metrics.csv").string());
  const std::string jsonl = read_text((seq / "metrics.jsonl").string());
  const std::vector<std::string> cartpole = checkpoints_in(seq);
  ASSERT_EQ(cartpole.size(), 3u);

  const std::string again = "train --env Acrobot-v1 --out " + seq.string() +
                            " --checkpoint-every 1 --stop-iters 2" + kQuick;
  const CliRun r = run_cli(again);
  expect_one_line_error(r, again, "already holds a run");
  expect_one_line_error(r, again, "cairn train --resume " + seq.string());
  // Nothing of the earlier run was touched.
  EXPECT_EQ(checkpoints_in(seq), cartpole);
  EXPECT_EQ(read_text((seq / "metrics.csv").string()), csv);
  EXPECT_EQ(read_text((seq / "metrics.jsonl").string()), jsonl);
  EXPECT_EQ(read_text((seq / "latest").string()), "checkpoint_000003\n");
  EXPECT_EQ(env_of(seq / "checkpoint_000003"), "CartPole-v1");

  // --overwrite replaces the whole run: no CartPole checkpoint or row is left.
  ASSERT_EQ(run_cli(again + " --overwrite").exit_code, 0);
  EXPECT_EQ(checkpoints_in(seq),
            (std::vector<std::string>{"checkpoint_000001", "checkpoint_000002"}));
  EXPECT_EQ(env_of(seq / "checkpoint_000001"), "Acrobot-v1");
  EXPECT_EQ(testing_cli::lines_of(read_text((seq / "metrics.jsonl").string())).size(), 2u);
  EXPECT_EQ(read_text((seq / "latest").string()), "checkpoint_000002\n");

  // Resuming into another folder that holds a run is refused the same way.
  const fs::path other = dir / "other";
  ASSERT_EQ(
      run_cli("train --env CartPole-v1 --stop-iters 1 --out " + other.string() + kQuick).exit_code,
      0);
  const std::string into =
      "train --resume " + seq.string() + " --out " + other.string() + " --stop-iters 3" + kQuick;
  expect_one_line_error(run_cli(into), into, "already holds a run");
  EXPECT_EQ(env_of(other / "checkpoint_000001"), "CartPole-v1");
  const std::string self = "train --resume " + seq.string() + " --overwrite" + kQuick;
  expect_one_line_error(run_cli(self), self, "--overwrite would delete the run being resumed");
}

TEST(RunFolderCli, ASecondWriterIsRefusedWithTheHoldersPid) {
  testing_io::ScratchDir dir;
  const fs::path run = dir / "run";
  const std::string cli = testing_cli::cairn_binary();
  const pid_t trainer = fork();
  ASSERT_GE(trainer, 0);
  if (trainer == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execl(cli.c_str(), cli.c_str(), "train", "--quiet", "--eval-episodes", "0", "--out",
          run.c_str(), "--checkpoint-every", "1", "--stop-timesteps", "1000000000000",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until it has saved a checkpoint (it holds the lock by then). Polling holder()
  // instead could, at the trainer's first instant, take the lock it is about to take.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(run / "latest") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(fs::exists(run / "latest"));
  EXPECT_EQ(RunLock::holder(run).value_or(-1), trainer);
  const std::string pid = "in use by process " + std::to_string(trainer);
  for (const std::string& args :
       {"train --out " + run.string() + " --stop-iters 1" + kQuick,
        "train --out " + run.string() + " --overwrite --stop-iters 1" + kQuick,
        "train --resume " + run.string() + " --stop-iters 100000" + kQuick}) {
    expect_one_line_error(run_cli(args), args, pid);
  }
  // Readers need no lock.
  EXPECT_EQ(run_cli("inspect " + run.string() + " --json").exit_code, 0);
  kill(trainer, SIGKILL);
  waitpid(trainer, nullptr, 0);
  EXPECT_FALSE(RunLock::holder(run).has_value());
  EXPECT_EQ(run_cli("train --resume " + run.string() + " --stop-iters 1" + kQuick).exit_code, 0);
}

TEST(RunFolderCli, MetricsFileErrorsSayWhy) {
  testing_io::ScratchDir dir;
  const fs::path run = dir / "run";
  ASSERT_EQ(run_cli("train --stop-iters 1 --out " + run.string() + kQuick).exit_code, 0);
  const std::string args = "train --resume " + run.string() + " --stop-iters 2" + kQuick;
  // A metrics file that cannot be opened for appending (read-only, in a folder the trainer
  // may write; as `nobody` when the suite runs as root, which would write it anyway): the
  // message gives the system's reason.
  fs::permissions(run / "metrics.jsonl",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  for (const char* writable : {".lock", "metrics.csv"}) {
    fs::permissions(run / writable, fs::perms::others_write | fs::perms::others_read,
                    fs::perm_options::add);
  }
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(run.c_str(), testing_io::kNobody, testing_io::kNobody), 0);
  }
  const CliRun unwritable = testing_cli::run_shell(testing_io::unprivileged_command_prefix() +
                                                   testing_cli::cairn_binary() + " " + args);
  expect_one_line_error(unwritable, args, "metrics.jsonl' for appending: Permission denied");
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(run.c_str(), 0, 0), 0);
  }
  fs::remove(run / "metrics.jsonl");
  fs::create_symlink(run / "nowhere" / "metrics.jsonl", run / "metrics.jsonl");
  expect_one_line_error(run_cli(args), args,
                        "metrics.jsonl' for reading: No such file or directory");
  // One that cannot be read is an error too, never taken for empty (its rows would go).
  fs::remove(run / "metrics.jsonl");
  fs::create_directory(run / "metrics.jsonl");
  expect_one_line_error(run_cli(args), args, "metrics.jsonl': it is a directory");
}

TEST(RunFolderCli, MeaninglessFlagValuesAndRepeatsAreRefused) {
  testing_io::ScratchDir dir;
  const std::string out = " --out " + (dir / "run").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"train --stop-seconds -1", "--stop-seconds"},
      {"train --stop-seconds 0", "--stop-seconds"},
      {"train --stop-seconds nan", "--stop-seconds"},
      {"train --checkpoint-every 0" + out, "--checkpoint-every"},
      {"train --keep 0" + out, "--keep"},
      {"train --keep-best 0 --keep 1" + out, "--keep-best"},
      {"train --keep-best 1" + out, "--keep-best needs --keep"},
      {"train --stop-iters 0", "--stop-iters"},
      {"train --stop-timesteps -5", "--stop-timesteps"},
      {"train --seed 1 --seed 2", "'--seed' is given more than once"},
      {"train --json --json", "'--json' is given more than once"},
      {"train --out a --out b", "'--out' is given more than once"},
      {"train --out=", "'--out' needs a non-empty value"},
      {"train --overwrite --stop-iters 1", "--overwrite needs --out"},
      {"eval x --episodes 1 --episodes 2", "'--episodes' is given more than once"},
      {"rollout --seed 1 --seed=1", "'--seed' is given more than once"},
      {"plot " + (dir / "run").string() + " --out a.svg --out b.svg", "'--out' is given more"},
      {"config show ppo --env Nope-v1", "unknown environment 'Nope-v1'"},
      {"config show ppo --env CartPole-v1 --env Acrobot-v1", "'--env' is given more than once"},
      {"config show a2c", "unknown algorithm 'a2c' (known: "},
      {"train --algo a2c --stop-iters 1", "unknown algorithm 'a2c' (known: "},
      {"train --algo ppo --algo ppo", "'--algo' is given more than once"},
      {"train --resume " + (dir / "run").string() + " --algo ppo",
       "--algo cannot be combined with --resume"},
  };
  for (const auto& [args, text] : cases) expect_one_line_error(run_cli(args), args, text);
  EXPECT_FALSE(fs::exists(dir / "run"));
  // Repeatable flags stay repeatable.
  EXPECT_EQ(run_cli("train --set num_steps=8 --set num_envs=2 --stop-iters 1" + kQuick).exit_code,
            0);
}

TEST(RunFolderCli, MainJobReplacesOnlyItsOwnEarlierRun) {
  testing_io::ScratchDir dir;
  const fs::path run = dir / "run";
  // Another run in the folder (--out may name any folder): refused, and left whole.
  ASSERT_EQ(
      run_cli("train --env Acrobot-v1 --stop-iters 1 --out " + run.string() + kQuick).exit_code, 0);
  const std::string before = read_text((run / "metrics.jsonl").string());
  const std::string args = "main-job --out " + run.string() + " --json";
  expect_one_line_error(run_cli(args), args, "already holds a run");
  EXPECT_EQ(read_text((run / "metrics.jsonl").string()), before);
  EXPECT_EQ(checkpoints_in(run).size(), 1u);
  // The main job's own earlier run is replaced, not mixed: one run's rows after two jobs.
  const fs::path main = dir / "main";
  for (int i = 0; i < 2; ++i) {
    const CliRun r =
        run_cli("main-job --seed " + std::to_string(i + 1) + " --out " + main.string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  // Every row of metrics.jsonl belongs to the second job: iterations 1, 2, ... once each.
  std::istringstream rows(read_text((main / "metrics.jsonl").string()));
  int64_t expected = 1;
  for (std::string line; std::getline(rows, line); ++expected) {
    EXPECT_EQ(nlohmann::json::parse(line)["iteration"], expected) << line;
  }
  EXPECT_GT(expected, 2);
}

}  // namespace
}  // namespace cairn
