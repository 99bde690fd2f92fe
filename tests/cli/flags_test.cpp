// Every command's --help, every flag it lists documented in docs/cli.md and exercised.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;
using testing_cli::json_of;
using testing_cli::run_cli;

const std::vector<std::string> kCommands = {"train",   "plot",     "eval",   "render",
                                            "inspect", "export",   "config", "envs",
                                            "rollout", "main-job", "version"};

TEST(CliFlags, EveryListedFlagIsDocumented) {
  const std::string doc = testing_cli::read_text(std::string(CAIRN_SOURCE_DIR) + "/docs/cli.md");
  for (const std::string& command : kCommands) {
    const CliRun r = run_cli(command + " --help");
    ASSERT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("usage: cairn " + command), std::string::npos) << r.out;
    // The command's section of the doc: from its heading to the next one.
    const std::string heading = "## `cairn " + command;
    const size_t start = doc.find(heading);
    ASSERT_NE(start, std::string::npos) << heading;
    const std::string section = doc.substr(start, doc.find("\n## ", start + 1) - start);
    std::vector<std::string> flags;
    for (size_t at = r.out.find("--"); at != std::string::npos; at = r.out.find("--", at + 2)) {
      size_t end = at + 2;
      while (end < r.out.size() && (std::islower(r.out[end]) || r.out[end] == '-')) ++end;
      if (end > at + 2) flags.push_back(r.out.substr(at, end - at));
    }
    EXPECT_FALSE(flags.empty()) << command;
    for (const std::string& f : flags) {
      if (f == "--help") continue;
      EXPECT_NE(section.find(f), std::string::npos) << command << " " << f << " undocumented";
    }
  }
}

TEST(CliFlags, EveryCommandPrintsOneJsonObject) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  for (const std::string& args : std::vector<std::string>{
           "version --json", "envs --json", "config show ppo --env Acrobot-v1 --json",
           "rollout --env MountainCar-v0 --episodes 2 --seed 3 --num-envs 2 --json",
           "main-job --seed 1 --out " + (dir / "main").string() + " --json"}) {
    const CliRun r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << args << ": " << r.out;
    ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
    EXPECT_TRUE(nlohmann::json::parse(r.out).is_object()) << args;
  }
  EXPECT_EQ(json_of(run_cli("config show ppo --env Acrobot-v1 --json"))["ent_coef"], 0.02);
  EXPECT_EQ(json_of(run_cli(
                "rollout --env MountainCar-v0 --episodes 2 --json"))["rollouts"][0]["episodes"],
            2);
  // main-job solved CartPole (exit code 0 above) and kept its metrics and learning curve.
  EXPECT_TRUE(std::filesystem::exists(dir / "main/metrics.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "main/learning_curve.svg"));
}

TEST(CliFlags, TrainAndEvalFlags) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string(), config = (dir / "config.json").string();
  { std::ofstream(config) << R"({"env_id": "Acrobot-v1", "num_steps": 16, "num_envs": 2})"; }
  CliRun r = run_cli("train --config " + config +
                     " --set num_minibatches=2 --seed 5 --stop-reward 1000 --stop-timesteps 160 "
                     "--out " +
                     run +
                     " --checkpoint-every 2 --keep 2 --keep-best 1 "
                     "--eval-episodes 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j = json_of(r);
  EXPECT_EQ(j["config"]["env_id"], "Acrobot-v1");
  EXPECT_EQ(j["config"]["num_minibatches"], 2);
  EXPECT_EQ(j["config"]["seed"], 5);
  EXPECT_EQ(j["final"]["timesteps"], 160);  // 5 iterations of 32 steps
  // Checkpoints at 2, 4 and the last (5); the newest two kept, plus the best.
  std::vector<std::string> kept;
  for (const auto& e : std::filesystem::directory_iterator(run)) {
    if (e.path().filename().string().rfind("checkpoint_", 0) == 0)
      kept.push_back(e.path().filename().string());
  }
  EXPECT_GE(kept.size(), 2u);
  EXPECT_LE(kept.size(), 3u);

  r = run_cli("train --resume " + run + " --stop-seconds 0.001 --eval-episodes 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;

  r = run_cli("eval " + run + " --policy default_policy --episodes 2 --seed 9 --explore --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_FALSE(j["deterministic"].get<bool>());
  EXPECT_EQ(j["episodes"], 2);
  const std::string policy = run + "/checkpoint_000005/policies/default_policy";
  r = run_cli("eval " + policy + " --env Acrobot-v1 --episodes 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["env"], "Acrobot-v1");
}

TEST(CliFlags, AWrongFlagIsAOneLineError) {
  for (const std::string& command : kCommands) {
    const CliRun r = run_cli(command + " --no-such-flag");
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << command << ": " << r.out;
    EXPECT_NE(r.out.find("--no-such-flag"), std::string::npos) << r.out;
  }
}

TEST(CliFlags, ExportFlags) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --env CartPole-v1 --stop-iters 1 --eval-episodes 0 --quiet --out " + run)
                .exit_code,
            0);
  CliRun r = run_cli("export " + run +
                     " --policy default_policy --format onnx --opset 13 --random-observations 4 "
                     "--require-verified --out " +
                     (dir / "p13.onnx").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = json_of(r);
  EXPECT_EQ(j["status"], "verified");
  EXPECT_EQ(j["observations"]["random"], 4);
  r = run_cli("export " + run + " --policy nobody --format c --out " + (dir / "c").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no policy 'nobody'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn
