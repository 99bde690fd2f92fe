#include "cairn/algorithms/ppo_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "cairn/algorithms/ppo.h"
#include "cairn/algorithms/presets.h"
#include "cairn/nn/model_zoo.h"
#include "error_matchers.h"
#include "simple_corridor.h"

namespace cairn {
namespace {

TEST(PPOConfig, JsonRoundTripsEveryField) {
  PPOConfig c;
  c.env_id = "Pendulum-v1";
  c.env_options = {{"g", 9.81}};
  c.num_envs = 8;
  c.target_kl = 0.015;
  c.hidden_sizes = {32, 16, 8};
  c.seed = 12345678901234ULL;
  c.learning_rate = 3.0e-4;
  const PPOConfig back = PPOConfig::from_json(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_TRUE(back == c);
  EXPECT_TRUE(PPOConfig::from_json(PPOConfig().to_json()) == PPOConfig());
}

TEST(PPOConfig, UnknownKeysAndBadValuesNameTheKey) {
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"learning_rat", 0.1}}),
                        "unknown key 'learning_rat'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"gamma", 1.5}}), "'gamma' must be in [0");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"num_envs", 0}}), "'num_envs' must be at least 1");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"num_envs", 2.5}}), "'num_envs' must be an integer");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"anneal_lr", "yes"}}),
                        "'anneal_lr' must be true or false");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"target_kl", -1}}), "'target_kl'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"hidden_sizes", {64, 0}}}), "'hidden_sizes'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"seed", -3}}), "'seed'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"seed", 1.5}}), "'seed'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json(nlohmann::json::array()), "expected a JSON object");
}

TEST(PPOConfig, ASeedSetFromACxxIntIsASeed) {
  // nlohmann_json stores a C++ int as a signed number and "7" parsed from text as an
  // unsigned one: both are the seed 7.
  nlohmann::json from_int;
  from_int["seed"] = 7;
  ASSERT_TRUE(from_int["seed"].is_number_integer() && !from_int["seed"].is_number_unsigned());
  EXPECT_EQ(PPOConfig::from_json(from_int).seed, 7u);
  EXPECT_EQ(PPOConfig::from_json(nlohmann::json::parse(R"({"seed": 7})")).seed, 7u);
}

TEST(PPOConfig, ValidateChecksTheMinibatchSplit) {
  PPOConfig c;
  c.num_envs = 3;
  c.num_steps = 10;
  c.num_minibatches = 4;
  EXPECT_ERROR_CONTAINS(c.validate(), "'num_minibatches' (4) must divide the batch size");
  c.num_minibatches = 60;
  EXPECT_ERROR_CONTAINS(c.validate(), "exceeds the batch size");
  c.num_minibatches = 5;
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.minibatch_size(), 6);
}

TEST(PPOConfig, SetAppliesOneOverride) {
  PPOConfig c;
  c.set("learning_rate=0.001");
  c.set("env_id=Acrobot-v1");
  c.set("target_kl=null");
  c.set("hidden_sizes=[128,128]");
  EXPECT_EQ(c.learning_rate, 0.001);
  EXPECT_EQ(c.env_id, "Acrobot-v1");
  EXPECT_FALSE(c.target_kl.has_value());
  EXPECT_EQ(c.hidden_sizes, (std::vector<int64_t>{128, 128}));
  EXPECT_ERROR_CONTAINS(c.set("gamma"), "must look like key=value");
  EXPECT_ERROR_CONTAINS(c.set("gama=0.9"), "unknown key 'gama'");
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST(PPOConfig, ShippedConfigFilesEqualThePresets) {
  // SimpleCorridor's preset lives with the example, which registers it.
  corridor::register_simple_corridor();
  // Every shipped preset: the built-in ones and SimpleCorridor's (not the presets other tests
  // register for environments of their own, which have no file).
  std::vector<std::string> envs{"SimpleCorridor-v0"};
  for (const auto& [env, config] : ppo_builtin_presets()) envs.push_back(env);
  EXPECT_GE(envs.size(), 5u);
  for (const std::string& env : envs) {
    ASSERT_TRUE(has_ppo_preset(env));
    const std::string folder =
        env == "SimpleCorridor-v0" ? "/examples/simple_corridor/ppo-" : "/configs/ppo-";
    const std::string path = CAIRN_SOURCE_DIR + folder + env + ".json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const PPOConfig from_file = PPOConfig::from_json(nlohmann::json::parse(in));
    EXPECT_TRUE(from_file == ppo_preset(env)) << path << " differs from ppo_preset(\"" << env
                                              << "\"); regenerate it with "
                                                 "'cairn config show ppo --env "
                                              << env << "'";
  }
  EXPECT_FALSE(has_ppo_preset("MountainCar-v0"));
}

TEST(PPOConfig, OverridesAreParsedStrictlyAndQuotedShort) {
  PPOConfig c;
  // A bare word is a string; JSON values are JSON.
  c.set("env_id=Pendulum-v1");
  EXPECT_EQ(c.env_id, "Pendulum-v1");
  c.set("hidden_sizes=[32, 32]");
  EXPECT_EQ(c.hidden_sizes, (std::vector<int64_t>{32, 32}));
  // An object or array that is malformed says where; a duplicate key is refused.
  EXPECT_ERROR_CONTAINS(c.set("hidden_sizes=[32, 32"), "override 'hidden_sizes'");
  EXPECT_ERROR_CONTAINS(c.set("env_options={\"a\": 1, \"a\": 2}"), "duplicate key 'a'");
  // A huge value is quoted as a short excerpt, not echoed whole.
  const std::string huge(100000, 'x');
  const std::string message = testing::error_of([&] { c.set("gamma=\"" + huge + "\""); });
  EXPECT_NE(message.find("'gamma' must be a number"), std::string::npos) << message;
  EXPECT_LT(message.size(), 300u) << message.size();
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST(PPOConfig, MemoryAndSequenceSettingsAreCheckedNamingTheKey) {
  PPOConfig c;
  c.env_id = "StatelessCartPole-v1";
  c.num_envs = 2;
  c.num_steps = 8;
  c.num_minibatches = 2;
  c.max_seq_len = 4;
  c.memory = {{"cell", "gru"}, {"units", 4}};
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(PPOConfig::from_json(c.to_json()), c);
  EXPECT_EQ(c.memory_options()->cell, "gru");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"memory", {{"cell", "rnn"}}}}),
                        "'memory.cell' must be \"lstm\" or \"gru\"");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"memory", {{"unit", 4}}}}),
                        "unknown key 'memory.unit'");
  EXPECT_ERROR_CONTAINS(PPOConfig::from_json({{"memory", 3}}), "memory");
  c.max_seq_len = 3;
  EXPECT_ERROR_CONTAINS(c.validate(), "'max_seq_len' (3) must divide 'num_steps' (8)");
  c.max_seq_len = 8;
  c.num_minibatches = 4;
  EXPECT_ERROR_CONTAINS(c.validate(), "number of sequences num_envs * num_steps / max_seq_len (2)");
  // The same split is required of a model spec with recurrent layers, at construction.
  PPOConfig spec_config = c;
  spec_config.memory = nullptr;
  nn::MemoryOptions memory;
  memory.units = 4;
  spec_config.model = nn::with_memory(nn::ppo_actor_critic(2, 2), memory).to_json();
  EXPECT_NO_THROW(spec_config.validate());
  EXPECT_ERROR_CONTAINS(PPO ppo(spec_config), "must divide the number of sequences");
}

}  // namespace
}  // namespace cairn
