#include "cairn/algorithms/dqn_config.h"

#include <gtest/gtest.h>

#include "error_matchers.h"

namespace cairn {
namespace {

TEST(DQNConfig, JsonRoundTripsEveryField) {
  DQNConfig c;
  c.env_id = "Acrobot-v1";
  c.num_envs = 4;
  c.steps_per_iteration = 400;
  c.gradient_steps = -1;
  c.double_q = false;
  c.dueling = true;
  c.tau = 0.005;
  c.n_step = 3;
  c.checkpoint_replay_buffer = false;
  c.seed = 12345678901234ULL;
  const DQNConfig back = DQNConfig::from_json(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_TRUE(back == c);
  EXPECT_TRUE(DQNConfig::from_json(DQNConfig().to_json()) == DQNConfig());
  for (const char* key :
       {"double_q", "dueling", "target_update_interval", "tau", "exploration_initial_eps",
        "exploration_final_eps", "exploration_fraction", "max_grad_norm", "learning_starts",
        "train_freq", "gradient_steps", "batch_size", "buffer_size", "n_step",
        "checkpoint_replay_buffer", "steps_per_iteration", "non_finite"}) {
    EXPECT_TRUE(c.to_json().contains(key)) << key;
  }
}

TEST(DQNConfig, DefaultsAreStableBaselines3s) {
  const DQNConfig c;
  EXPECT_EQ(c.num_envs, 1);
  EXPECT_EQ(c.activation, "relu");
  EXPECT_EQ(c.learning_rate, 1e-4);
  EXPECT_EQ(c.batch_size, 32);
  EXPECT_EQ(c.train_freq, 4);
  EXPECT_EQ(c.target_update_interval, 10000);
  EXPECT_EQ(c.max_grad_norm, 10.0);
  EXPECT_TRUE(c.double_q);
  EXPECT_FALSE(c.dueling);
  EXPECT_TRUE(c.checkpoint_replay_buffer);
  EXPECT_NO_THROW(c.validate());
}

TEST(DQNConfig, UnknownKeysAndBadValuesNameTheKey) {
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"double_qq", true}}), "unknown key 'double_qq'");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"tau", 2}}), "DQN config: 'tau' must be in (0");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"tau", 0}}), "'tau' must be in (0");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"gradient_steps", 0}}),
                        "'gradient_steps' must be -1 or an integer");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"batch_size", 0}}),
                        "'batch_size' must be at least 1");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"exploration_final_eps", 1.5}}),
                        "'exploration_final_eps'");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"dueling", "yes"}}),
                        "'dueling' must be true or false");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"n_step", 0}}), "'n_step' must be at least 1");
  EXPECT_ERROR_CONTAINS(DQNConfig::from_json({{"non_finite", "ignore"}}), "'non_finite'");
}

TEST(DQNConfig, ValidateChecksCombinations) {
  DQNConfig c;
  c.num_envs = 3;
  c.steps_per_iteration = 1000;
  EXPECT_ERROR_CONTAINS(c.validate(),
                        "'steps_per_iteration' (1000) must be a multiple of 'num_envs' (3)");
  c.steps_per_iteration = 999;
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.vector_steps_per_iteration(), 333);
  c.activation = "relux";
  EXPECT_ERROR_CONTAINS(c.validate(), "'activation'");
}

TEST(DQNConfig, GradientStepsMinusOneMeansOnePerTransition) {
  DQNConfig c;
  c.num_envs = 2;
  c.train_freq = 4;
  c.gradient_steps = -1;
  EXPECT_EQ(c.updates_per_phase(), 8);
  c.gradient_steps = 3;
  EXPECT_EQ(c.updates_per_phase(), 3);
}

TEST(DQNConfig, EpsilonFallsLinearlyThenStays) {
  DQNConfig c;
  c.total_timesteps = 1000;
  c.exploration_fraction = 0.1;
  c.exploration_initial_eps = 1.0;
  c.exploration_final_eps = 0.05;
  EXPECT_DOUBLE_EQ(c.epsilon(0), 1.0);
  EXPECT_DOUBLE_EQ(c.epsilon(50), 1.0 + 0.05 * (0.05 - 1.0) / 0.1);
  EXPECT_NEAR(c.epsilon(100), 0.05, 1e-15);  // the end of the ramp (SB3: interpolated)
  EXPECT_DOUBLE_EQ(c.epsilon(5000), 0.05);
}

TEST(DQNConfig, SetAppliesOneOverride) {
  DQNConfig c;
  c.set("double_q=false");
  c.set("hidden_sizes=[32,32]");
  c.set("env_id=Acrobot-v1");
  EXPECT_FALSE(c.double_q);
  EXPECT_EQ(c.hidden_sizes, (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(c.env_id, "Acrobot-v1");
  EXPECT_ERROR_CONTAINS(c.set("tau=-1"), "'tau'");
}

TEST(DQNConfig, PresetsAreZoosAndValid) {
  for (const char* env : {"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}) {
    EXPECT_TRUE(has_dqn_preset(env));
    const DQNConfig c = dqn_preset(env);
    EXPECT_EQ(c.env_id, env);
    EXPECT_NO_THROW(c.validate()) << env;
  }
  // The zoo's network, except CartPole-v1's smaller one with 3-step returns.
  EXPECT_EQ(dqn_preset("Acrobot-v1").hidden_sizes, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(dqn_preset("MountainCar-v0").hidden_sizes, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(dqn_preset("CartPole-v1").hidden_sizes, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(dqn_preset("CartPole-v1").n_step, 3);
  EXPECT_EQ(dqn_preset("Acrobot-v1").n_step, 1);
  EXPECT_EQ(dqn_preset("CartPole-v1").train_freq, 256);
  EXPECT_TRUE(dqn_preset("CartPole-v1").anneal_lr);
  EXPECT_EQ(dqn_preset("Acrobot-v1").gradient_steps, -1);
  EXPECT_EQ(dqn_preset("MountainCar-v0").gamma, 0.98);
  EXPECT_FALSE(has_dqn_preset("Pendulum-v1"));
  EXPECT_EQ(dqn_preset("MyEnv-v0").env_id, "MyEnv-v0");
  EXPECT_NO_THROW(dqn_preset("MyEnv-v0").validate());
}

}  // namespace
}  // namespace cairn
