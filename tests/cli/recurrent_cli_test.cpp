// The program with a recurrent policy: `cairn eval` carries the policy's state through each
// episode, as a caller of Policy::compute_action with a state does.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cairn/env/env_registry.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

TEST(RecurrentCli, EvalCarriesTheStateThroughEachEpisode) {
  testing_io::ScratchDir dir;
  auto env = make("MemoryCue-v0");
  nn::MemoryOptions memory;
  memory.units = 8;
  const nn::Index obs = static_cast<nn::Index>(env->observation_space().flat_dim());
  Policy policy(env->observation_space(), env->action_space(),
                nn::with_memory(nn::ppo_actor_critic(obs, 2), memory), PolicyOptions(), 1);
  Rng init(3);
  for (float& p : policy.model().flat_parameters()) p = static_cast<float>(init.normal());
  const std::string folder = (dir / "policy").string();
  policy.save(folder);

  // The same episodes, acted here with the state carried by hand.
  const int episodes = 20;
  double total = 0;
  std::vector<float> o(env->observation_space().size());
  for (int i = 0; i < episodes; ++i) {
    env->reset(std::span<float>(o), static_cast<uint64_t>(i));
    std::vector<float> state = policy.initial_state();
    bool first = true;
    for (;;) {
      const StepResult s = env->step(policy.compute_action(o, state, first, state), o);
      first = false;
      total += s.reward;
      if (s.terminated || s.truncated) break;
    }
  }

  const testing_cli::CliRun r = testing_cli::run_cli(
      "eval " + folder + " --env MemoryCue-v0 --episodes " + std::to_string(episodes) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_DOUBLE_EQ(j.at("mean_return").get<double>(), total / episodes) << r.out;
}

// The whole workflow on a recurrent preset: train (two LSTMs), resume, eval, render (the same
// deterministic episodes as eval), export to C, proven.
TEST(RecurrentCli, TrainResumeEvalRenderAndExportARecurrentRun) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  testing_cli::CliRun r = testing_cli::run_cli("train --env StatelessCartPole-v1 --out " + run +
                                               " --stop-iters 2 --eval-episodes 0 --quiet --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = testing_cli::run_cli("train --resume " + run +
                           " --stop-iters 3 --eval-episodes 0 --quiet --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const testing_cli::CliRun eval = testing_cli::run_cli("eval " + run + " --episodes 2 --json");
  ASSERT_EQ(eval.exit_code, 0) << eval.out;
  r = testing_cli::run_cli("render " + run + " --out " + (dir / "a.gif").string() +
                           " --episodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["mean_return"],
            nlohmann::json::parse(eval.out)["mean_return"]);
  r = testing_cli::run_cli("export " + run + " --format c --out " + (dir / "c").string() +
                           " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn
