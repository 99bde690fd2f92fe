// The cairn program on multi-agent checkpoints: `cairn train --algo multi_agent_ppo` from a
// config file, then eval, export, inspect and render with --policy, and resume.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;

// Three policies: "a" (the run's network), "b" (its own 16-unit network), "c" (not trained).
const char* kMultiAgentCliConfig = R"({
  "env_id": "MultiAgentCartPole-v0", "env_options": {"num_agents": 3},
  "num_envs": 2, "num_steps": 32,
  "policies": {"a": {}, "b": {"config": {"hidden_sizes": [16]}}, "c": {"trained": false}},
  "policy_mapping": {"agent_0": "a", "agent_1": "b", "agent_2": "c"}
})";

CliRun ma_cli_run(const std::string& args) {
  return testing_cli::run_cli(args);
}

std::string ma_cli_write_config(const testing_io::ScratchDir& dir) {
  const std::string path = (dir / "multi_agent.json").string();
  std::ofstream(path) << kMultiAgentCliConfig;
  return path;
}

// `cairn train` of the config into `out` until `stop_iters`; the run's JSON summary.
nlohmann::json ma_cli_train(const std::string& config, const std::string& out, int stop_iters) {
  const CliRun r =
      ma_cli_run("train --algo multi_agent_ppo --config " + config + " --out " + out +
                 " --stop-iters " + std::to_string(stop_iters) + " --eval-episodes 0 --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.exit_code == 0 ? testing_cli::json_of(r) : nlohmann::json();
}

// Every wrong-id error names the ids that exist.
void ma_cli_expect_names_ids(const CliRun& r) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("no policy 'nobody'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'a', 'b', 'c'"), std::string::npos) << r.out;
}

TEST(MultiAgentCli, EvalExportInspectRenderTakeAPolicyId) {
  testing_io::ScratchDir dir;
  const std::string run_dir = (dir / "run").string();
  const nlohmann::json trained = ma_cli_train(ma_cli_write_config(dir), run_dir, 2);
  ASSERT_EQ(trained["final"]["iteration"], 2) << trained.dump();

  // eval --policy b: policy b plays agent_1, with a and c restored alone for the others.
  CliRun r = ma_cli_run("eval " + run_dir + " --policy b --episodes 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json j = testing_cli::json_of(r);
  EXPECT_EQ(j["policy"], "b");
  EXPECT_EQ(j["agents"], nlohmann::json::array({"agent_1"}));
  EXPECT_EQ(j["env"], "MultiAgentCartPole-v0");
  EXPECT_EQ(j["episodes"], 3);
  EXPECT_TRUE(j["example_bit_identical"].get<bool>());
  // b's return is one agent's CartPole return; the episode's is the three agents' sum.
  EXPECT_GE(j["mean_return"].get<double>(), 1.0);
  EXPECT_GE(j["episode_mean_return"].get<double>(), j["mean_return"].get<double>());
  r = ma_cli_run("eval " + run_dir + " --policy b --episodes 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("policy 'b'"), std::string::npos) << r.out;
  ma_cli_expect_names_ids(ma_cli_run("eval " + run_dir + " --policy nobody --episodes 1"));

  // export --policy b: b's own network, proven in both formats.
  r = ma_cli_run("export " + run_dir + " --policy b --format onnx --out " +
                 (dir / "b.onnx").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = testing_cli::json_of(r);
  EXPECT_EQ(j["format"], "onnx");
  EXPECT_EQ(j["status"], "verified") << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "b.onnx"));
  r = ma_cli_run("export " + run_dir + " --policy b --format c --name policy_b --out " +
                 (dir / "c").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("C export: verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("policies/b"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "c" / "policy_b.c"));
  ma_cli_expect_names_ids(ma_cli_run("export " + run_dir + " --policy nobody --format c --out " +
                                     (dir / "c2").string()));

  // inspect lists every policy, with b's own network.
  r = ma_cli_run("inspect " + run_dir + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = testing_cli::json_of(r);
  EXPECT_EQ(j["algorithm"], "multi_agent_ppo");
  ASSERT_EQ(j["policies"].size(), 3u) << j.dump();
  for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(j["policies"].contains(id)) << id;
  EXPECT_EQ(j["policies"]["b"]["parameters"], (4 * 16 + 16) + (16 * 2 + 2) + (4 * 16 + 16) + 17);
  EXPECT_EQ(j["policies"]["a"]["parameters"], j["policies"]["c"]["parameters"]);
  r = ma_cli_run("inspect " + run_dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* line : {"policy 'a'", "policy 'b'", "policy 'c'"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  }

  // render --policy b: b drawn in the environment of the agent it plays (agent_1's CartPole).
  r = ma_cli_run("render " + run_dir + " --policy b --out " + (dir / "b.gif").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = testing_cli::json_of(r);
  EXPECT_EQ(j["env"], "MultiAgentCartPole-v0");
  EXPECT_EQ(j["agent"], "agent_1");
  EXPECT_GE(j["frames"].get<int64_t>(), 2);
  EXPECT_EQ(j["width"], 600);  // CartPole-v1's frames, as Gymnasium draws them
  EXPECT_TRUE(std::filesystem::exists(dir / "b.gif"));
  ma_cli_expect_names_ids(
      ma_cli_run("render " + run_dir + " --policy nobody --out " + (dir / "x.gif").string()));
}

// Agents that act together have no environment of their own to draw: refused, pointing to
// cairn eval. A pattern in the mapping names agents (not the pattern) in eval's output.
TEST(MultiAgentCli, RenderRefusesInteractingAgentsAndEvalResolvesPatterns) {
  testing_io::ScratchDir dir;
  const std::string config = (dir / "rps.json").string();
  std::ofstream(config) << R"({"env_id": "RockPaperScissors-v0", "num_steps": 16,
    "policies": {"p": {}}, "policy_mapping": {"player_*": "p"}})";
  const std::string run_dir = (dir / "run").string();
  ASSERT_EQ(ma_cli_train(config, run_dir, 1)["final"]["iteration"], 1);
  CliRun r = ma_cli_run("render " + run_dir + " --policy p --out " + (dir / "p.gif").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("'RockPaperScissors-v0' is a multi-agent environment whose agents act "
                       "together"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("cairn eval " + run_dir + " --policy p"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "p.gif"));
  r = ma_cli_run("eval " + run_dir + " --policy p --episodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(testing_cli::json_of(r)["agents"], nlohmann::json::array({"player_0", "player_1"}));
}

TEST(MultiAgentCli, ResumedRunEqualsAnUninterruptedOne) {
  testing_io::ScratchDir dir;
  const std::string config = ma_cli_write_config(dir);
  const std::string whole = (dir / "whole").string(), resumed = (dir / "resumed").string();
  ASSERT_EQ(ma_cli_train(config, whole, 4)["final"]["iteration"], 4);
  ASSERT_EQ(ma_cli_train(config, resumed, 2)["final"]["iteration"], 2);
  const CliRun r =
      ma_cli_run("train --resume " + resumed + " --stop-iters 4 --eval-episodes 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(testing_cli::json_of(r)["final"]["iteration"], 4) << r.out;
  for (const char* id : {"a", "b", "c"}) {
    const std::string file =
        std::string("/checkpoint_000004/policies/") + id + "/weights.safetensors";
    const std::string expected = testing_cli::read_text(whole + file);
    ASSERT_FALSE(expected.empty()) << whole + file;
    EXPECT_TRUE(testing_cli::read_text(resumed + file) == expected) << "policy " << id;
  }
  // Training changed the trained policies and left the untrained one as it was.
  const auto weights = [&](const std::string& run, const char* checkpoint, const char* id) {
    return testing_cli::read_text(run + "/" + checkpoint + "/policies/" + id +
                                  "/weights.safetensors");
  };
  EXPECT_NE(weights(resumed, "checkpoint_000002", "a"), weights(resumed, "checkpoint_000004", "a"));
  EXPECT_EQ(weights(resumed, "checkpoint_000002", "c"), weights(resumed, "checkpoint_000004", "c"));
}

}  // namespace
}  // namespace cairn
