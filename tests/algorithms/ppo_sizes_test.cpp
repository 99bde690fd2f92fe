// Absurd sizes are refused with an error naming the key and the limit, before allocating.
#include <gtest/gtest.h>

#include "cairn/algorithms/ppo.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

PPOConfig with(const std::string& assignment) {
  PPOConfig c = ppo_preset("CartPole-v1");
  c.set(assignment);
  return c;
}

TEST(PPOSizes, HugeCountsAreRefusedNamingTheKeyAndLimit) {
  EXPECT_ERROR_CONTAINS(with("num_envs=1000000000"),
                        "'num_envs' must be at most 1048576, got 1000000000");
  EXPECT_ERROR_CONTAINS(with("num_steps=100000000000"), "'num_steps' must be at most 16777216");
  EXPECT_ERROR_CONTAINS(with("num_env_threads=100000"), "'num_env_threads' must be at most 1024");
  // Beyond int64: must not wrap to a negative number.
  EXPECT_ERROR_CONTAINS(with("num_envs=18446744073709551615"), "'num_envs' must be an integer");
  EXPECT_ERROR_CONTAINS(with("hidden_sizes=[64, 18446744073709551615]"),
                        "'hidden_sizes' must hold positive integers of at most");
}

TEST(PPOSizes, BatchSizeProductIsOverflowSafe) {
  PPOConfig c = ppo_preset("CartPole-v1");
  c.num_envs = 1 << 20;
  c.num_steps = 1 << 24;
  EXPECT_ERROR_CONTAINS(c.validate(),
                        "the batch size num_envs * num_steps (1048576 * 16777216) exceeds the "
                        "limit of 67108864");
  // Even beyond the per-key limits (a config built in code), the product cannot wrap.
  c.num_envs = int64_t{1} << 40;
  c.num_steps = int64_t{1} << 40;
  EXPECT_ERROR_CONTAINS(c.validate(), "'num_envs' must be at most");
  EXPECT_ERROR_CONTAINS(PPO{c}, "'num_envs' must be at most");
}

TEST(PPOSizes, HugeModelsAreRefused) {
  EXPECT_ERROR_CONTAINS(PPO(with("hidden_sizes=[100000, 100000]")),
                        "'hidden_sizes' [100000,100000] makes a model of more than 268435456 "
                        "parameters");
  nlohmann::json spec = {
      {"input_size", 4},
      {"blocks",
       {{{"name", "pi"},
         {"layers", {{{"type", "dense"}, {"units", 1000000}}, {{"type", "dense"}, {"units", 2}}}}},
        {{"name", "vf"},
         {"layers",
          {{{"type", "dense"}, {"units", 1000000}},
           {{"type", "dense"}, {"units", 1000000}},
           {{"type", "dense"}, {"units", 1}}}}}}},
      {"outputs", {"pi", "vf"}}};
  PPOConfig c = ppo_preset("CartPole-v1");
  c.model = spec;
  EXPECT_ERROR_CONTAINS(c.validate(),
                        "'model' has 1000014000003 parameters, more than the limit "
                        "of 268435456");
  // A single wide layer is within the parameter limit only with a small input; the real
  // input width is checked once the environment is known.
  PPOConfig wide = ppo_preset("CartPole-v1");
  wide.hidden_sizes = {200000000};
  EXPECT_ERROR_CONTAINS(PPO{wide}, "'hidden_sizes' makes a model of");
}

TEST(PPOSizes, MemoryEstimateRefusesRunsBeyondTheMachine) {
  PPOConfig c = ppo_preset("CartPole-v1");
  c.num_envs = 4096;
  c.num_steps = 4096;
  c.num_minibatches = 1;
  c.hidden_sizes = {65536};
  EXPECT_ERROR_CONTAINS(PPO{c}, "more than the memory limit of");
}

TEST(PPOSizes, ResumedConfigIsValidatedToo) {
  testing_io::ScratchDir dir;
  PPO ppo(ppo_preset("CartPole-v1"));
  ppo.save_checkpoint(dir.path() / "ckpt");
  checkpoint_testing::edit_json(
      dir.path() / "ckpt" / "cairn_checkpoint.json",
      [](nlohmann::json& m) { m["config"]["num_steps"] = int64_t{1000000000000}; });
  EXPECT_ERROR_CONTAINS(PPO::from_checkpoint(dir.path() / "ckpt"),
                        "field 'config': PPO config: 'num_steps' must be at most 16777216");
  checkpoint_testing::edit_json(dir.path() / "ckpt" / "cairn_checkpoint.json",
                                [](nlohmann::json& m) {
                                  m["config"]["num_steps"] = int64_t{1} << 24;
                                  m["config"]["num_envs"] = int64_t{1} << 20;
                                });
  EXPECT_ERROR_CONTAINS(PPO::from_checkpoint(dir.path() / "ckpt"),
                        "field 'config': PPO config: the batch size");
}

TEST(PPOSizes, NonFiniteOptionRoundTripsAndIsValidated) {
  PPOConfig c;
  EXPECT_EQ(c.to_json()["non_finite"], "error");
  c.set("non_finite=skip");
  EXPECT_EQ(c.non_finite, NonFiniteHandling::kSkip);
  EXPECT_EQ(PPOConfig::from_json(c.to_json()), c);
  EXPECT_ERROR_CONTAINS(c.set("non_finite=ignore"),
                        "'non_finite' must be \"error\" or \"skip\", got \"ignore\"");
}

}  // namespace
}  // namespace cairn
