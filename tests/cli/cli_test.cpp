// The cairn program, run as a user runs it.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;

CliRun run(const std::string& args) {
  return testing_cli::run_cli(args);
}

using testing_cli::json_of;

TEST(Cli, EveryCommandHasHelp) {
  for (const char* command :
       {"train", "eval", "inspect", "export", "plot", "envs", "rollout", "config", "main-job"}) {
    const CliRun r = run(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.out;
    EXPECT_NE(r.out.find("usage: cairn " + std::string(command)), std::string::npos) << r.out;
  }
  EXPECT_EQ(run("--help").exit_code, 0);
  EXPECT_EQ(run("version").out, "cairn " CAIRN_VERSION_STRING "\n");
}

TEST(Cli, BadInputGivesAOneLineErrorAndNonZeroExit) {
  for (const char* args : {"train --bogus", "train --env NoSuchEnv-v0", "train --set gama=0.9",
                           "train --stop-iters abc", "eval /no/such/path", "inspect /no/such/path",
                           "frobnicate", "train --resume /no/such --env CartPole-v1"}) {
    const CliRun r = run(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    EXPECT_NE(r.out.find("error"), std::string::npos) << args << ": " << r.out;
  }
}

TEST(Cli, TrainResumeEvalInspect) {
  testing_io::ScratchDir dir;
  const std::string run_dir = (dir / "run").string();
  CliRun r =
      run("train --env CartPole-v1 --stop-iters 2 --out " + run_dir + " --eval-episodes 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j = json_of(r);
  EXPECT_EQ(j["final"]["iteration"], 2);
  EXPECT_EQ(j["evaluation"]["episodes"], 3);

  // Stop conditions count over the whole run: --stop-iters 4 after 2 trains 2 more.
  r = run("train --resume " + run_dir + " --stop-iters 4 --eval-episodes 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_EQ(j["final"]["iteration"], 4);
  EXPECT_NE(j["checkpoint"].get<std::string>().find("checkpoint_000004"), std::string::npos);

  r = run("eval " + run_dir + " --episodes 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_EQ(j["episodes"], 4);
  EXPECT_EQ(j["env"], "CartPole-v1");
  EXPECT_TRUE(j["example_bit_identical"].get<bool>());

  r = run("inspect " + run_dir + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["counters"]["iteration"], 4);
  EXPECT_TRUE(j["checksums_verified"].get<bool>());
  // The CartPole preset's 32 x 32 actor (4 -> 32 -> 32 -> 2 logits) and critic (-> 1).
  EXPECT_EQ(j["policies"]["default_policy"]["parameters"],
            (4 * 32 + 32) + (32 * 32 + 32) + (32 * 2 + 2) + (4 * 32 + 32) + (32 * 32 + 32) + (32 + 1));

  // A standalone policy folder needs the environment named.
  const std::string policy = run_dir + "/checkpoint_000004/policies/default_policy";
  r = run("eval " + policy + " --episodes 2 --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;  // inside a checkpoint: the environment is known
  // Export from the run folder (its latest checkpoint), proven.
  r = run("export " + run_dir + " --format onnx --out " + (dir / "p.onnx").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_EQ(j["status"], "verified") << r.out;
  r = run("export " + policy + " --format c --out " + (dir / "c").string() + " --name cartpole");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("C export: verified"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "c" / "cartpole.c"));
  r = run("export " + policy + " --format tflite --out " + (dir / "x").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--format must be 'onnx' or 'c'"), std::string::npos) << r.out;

  r = run("config show ppo --env Pendulum-v1");
  EXPECT_EQ(nlohmann::json::parse(r.out)["gamma"], 0.9);
}

}  // namespace
}  // namespace cairn
