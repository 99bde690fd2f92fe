// Every registered algorithm through the command line: train, resume, inspect, eval, export,
// plot and config show work the same way for each.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::json_of;
using testing_cli::run_cli;

struct AlgorithmCase {
  const char* algo;
  const char* env;
  const char* quick;        // overrides for a short run
  const char* head;         // the policy head inspect and eval describe
  const char* exploration;  // how that head explores
};

const AlgorithmCase kCases[] = {
    {"ppo", "Pendulum-v1", " --set num_envs=2 --set num_steps=32 --set num_minibatches=2",
     "stochastic", "sample"},
    {"sac", "Pendulum-v1",
     " --set steps_per_iteration=100 --set learning_starts=50 --set batch_size=16"
     " --set hidden_sizes=[16,16]",
     "squashed_gaussian", "squashed_gaussian_sample"},
    {"td3", "Pendulum-v1",
     " --set steps_per_iteration=100 --set learning_starts=50 --set batch_size=16"
     " --set hidden_sizes=[16,16]",
     "deterministic", "gaussian_noise"},
    {"dqn", "CartPole-v1",
     " --set steps_per_iteration=100 --set learning_starts=50 --set batch_size=16"
     " --set hidden_sizes=[16,16] --set train_freq=4",
     "greedy_q", "epsilon_greedy"},
};

TEST(AlgorithmsCli, EveryAlgorithmTrainsResumesAndIsInspectedEvaluatedExportedAndPlotted) {
  for (const AlgorithmCase& c : kCases) {
    SCOPED_TRACE(c.algo);
    testing_io::ScratchDir dir;
    const std::string run = (dir / "run").string();
    testing_cli::CliRun r =
        run_cli(std::string("train --algo ") + c.algo + " --env " + c.env + c.quick +
                " --stop-iters 2 --eval-episodes 2 --quiet --json --out " + run);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    nlohmann::json j = json_of(r);
    const nlohmann::json config = j["config"];
    EXPECT_EQ(j["algorithm"], c.algo);
    EXPECT_EQ(config["env_id"], c.env);
    EXPECT_EQ(j["final"]["iteration"], 2);
    EXPECT_TRUE(j.contains("evaluation"));

    // Resume reads the algorithm from the checkpoint.
    r = run_cli("train --resume " + run + " --stop-iters 3 --eval-episodes 0 --quiet --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    j = json_of(r);
    EXPECT_EQ(j["algorithm"], c.algo);
    EXPECT_EQ(j["final"]["iteration"], 3);

    r = run_cli("inspect " + run + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    j = json_of(r);
    EXPECT_EQ(j["algorithm"], c.algo);
    EXPECT_EQ(j["env_id"], c.env);
    EXPECT_EQ(j["complete"], true);
    // The policy is described by its head, not by the action space's distribution.
    const nlohmann::json& p = j["policies"]["default_policy"];
    EXPECT_EQ(p.value("head", ""), c.head) << p.dump();
    EXPECT_EQ(p["exploration"].value("kind", ""), c.exploration) << p.dump();
    EXPECT_EQ(p.contains("distribution"), std::string(c.head) == "stochastic") << p.dump();
    if (p.contains("distribution")) {
      EXPECT_EQ(p.value("distribution", ""), "diagonal_gaussian");
    }
    if (p["exploration"].contains("noise")) {
      EXPECT_EQ(p["exploration"].value("noise", -1.0), config.value("exploration_noise", -2.0))
          << p.dump();
    }
    if (p["exploration"].contains("epsilon")) {
      const double epsilon = p["exploration"]["epsilon"].get<double>();
      EXPECT_GE(epsilon, config["exploration_final_eps"].get<double>()) << p.dump();
      EXPECT_LE(epsilon, config["exploration_initial_eps"].get<double>()) << p.dump();
    }
    r = run_cli("inspect " + run);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find(std::string("head ") + c.head), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("diagonal_gaussian") != std::string::npos,
              std::string(c.head) == "stochastic")
        << r.out;

    r = run_cli("eval " + run + " --episodes 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_of(r)["episodes"], 2) << r.out;
    EXPECT_EQ(json_of(r).value("head", ""), c.head) << r.out;
    EXPECT_TRUE(json_of(r)["exploration"].is_null()) << r.out;
    r = run_cli("eval " + run + " --episodes 2 --explore --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_of(r)["exploration"].value("kind", ""), c.exploration) << r.out;

    r = run_cli("export " + run + " --format onnx --out " + (dir / "p.onnx").string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_of(r)["status"], "verified") << r.out;
    r = run_cli("export " + run + " --format c --out " + (dir / "c").string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_of(r)["status"], "verified") << r.out;

    r = run_cli("plot " + run + " --out " + (dir / "curve.svg").string());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(fs::exists(dir / "curve.svg"));

    r = run_cli(std::string("config show ") + c.algo + " --env " + c.env + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_of(r)["env_id"], c.env);
  }
}

// Resume says plainly when the checkpoint left part of the state out (here the replay
// buffer), and only then.
TEST(AlgorithmsCli, ResumeSaysWhenTheCheckpointIsIncomplete) {
  for (const bool keep : {true, false}) {
    SCOPED_TRACE(keep ? "complete" : "without the replay buffer");
    testing_io::ScratchDir dir;
    const std::string run = (dir / "run").string();
    testing_cli::CliRun r = run_cli(
        std::string("train --algo sac --env Pendulum-v1 --set steps_per_iteration=100"
                    " --set learning_starts=50 --set batch_size=16 --set hidden_sizes=[16,16]"
                    " --set checkpoint_replay_buffer=") +
        (keep ? "true" : "false") + " --stop-iters 1 --eval-episodes 0 --quiet --out " + run);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    r = run_cli("train --resume " + run + " --stop-iters 2 --eval-episodes 0 --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("is not bit-identical") == std::string::npos, keep) << r.out;
  }
}

TEST(AlgorithmsCli, WrongActionSpacesAndUnknownKeysAreNamed) {
  testing_cli::CliRun r = run_cli("train --algo dqn --env Pendulum-v1 --stop-iters 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("Pendulum-v1"), std::string::npos) << r.out;
  r = run_cli("train --algo sac --env CartPole-v1 --stop-iters 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("CartPole-v1"), std::string::npos) << r.out;
  r = run_cli("train --algo sac --set clip_coef=0.2 --stop-iters 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("SAC config: unknown key 'clip_coef'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn
