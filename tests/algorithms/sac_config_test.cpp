#include "cairn/algorithms/sac_config.h"

#include <gtest/gtest.h>

#include "cairn/algorithms/td3_config.h"
#include "error_matchers.h"

namespace cairn {
namespace {

TEST(SACConfig, JsonRoundTripsEveryField) {
  SACConfig c;
  c.env_id = "MountainCarContinuous-v0";
  c.num_envs = 2;
  c.steps_per_iteration = 500;
  c.target_entropy = -0.5;
  c.max_grad_norm = 10.0;
  c.autotune = false;
  c.alpha = 0.05;
  c.checkpoint_replay_buffer = false;
  c.hidden_sizes = {64, 32};
  const SACConfig back = SACConfig::from_json(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_TRUE(back == c);
  EXPECT_TRUE(SACConfig::from_json(SACConfig().to_json()) == SACConfig());
  // null restores the defaults of the optional keys.
  const SACConfig nulls =
      SACConfig::from_json({{"target_entropy", nullptr}, {"max_grad_norm", nullptr}}, c);
  EXPECT_FALSE(nulls.target_entropy.has_value());
  EXPECT_FALSE(nulls.max_grad_norm.has_value());
}

TEST(SACConfig, DefaultsAreCleanRLs) {
  const SACConfig c;
  EXPECT_EQ(c.hidden_sizes, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(c.activation, "relu");
  EXPECT_EQ(c.batch_size, 256);
  EXPECT_DOUBLE_EQ(c.tau, 0.005);
  EXPECT_DOUBLE_EQ(c.actor_learning_rate, 3e-4);
  EXPECT_DOUBLE_EQ(c.critic_learning_rate, 1e-3);
  EXPECT_TRUE(c.autotune);
  EXPECT_TRUE(c.checkpoint_replay_buffer);
  EXPECT_EQ(c.steps_per_iteration, 1000);
  EXPECT_NO_THROW(c.validate());
}

TEST(SACConfig, UnknownKeysAndBadValuesNameTheKey) {
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"tua", 0.1}}), "SAC config: unknown key 'tua'");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"tau", 2}}), "SAC config: 'tau' must be in [0");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"batch_size", 0}}),
                        "'batch_size' must be at least 1");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"target_entropy", "auto"}}), "'target_entropy'");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"max_grad_norm", -1}}), "'max_grad_norm'");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"initial_alpha", 0}}), "'initial_alpha'");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"checkpoint_replay_buffer", 1}}),
                        "'checkpoint_replay_buffer' must be true or false");
  EXPECT_ERROR_CONTAINS(SACConfig::from_json({{"non_finite", "ignore"}}), "'non_finite'");
  SACConfig c;
  EXPECT_ERROR_CONTAINS(c.set("gamma=1.5"), "'gamma'");
  c.set("learning_starts=100");
  EXPECT_EQ(c.learning_starts, 100);
}

TEST(SACConfig, ValidateChecksAcrossKeys) {
  SACConfig c;
  c.num_envs = 3;
  EXPECT_ERROR_CONTAINS(c.validate(),
                        "'steps_per_iteration' (1000) must be a multiple of 'num_envs' (3)");
  c.num_envs = 4;
  c.buffer_size = 100;
  EXPECT_ERROR_CONTAINS(c.validate(), "'batch_size' (256) exceeds 'buffer_size' (100)");
  c.buffer_size = 1000;
  c.hidden_sizes = {1 << 20, 1 << 20};
  EXPECT_ERROR_CONTAINS(c.validate(), "'hidden_sizes'");
}

TEST(TD3Config, JsonRoundTripsAndNamesKeys) {
  TD3Config c;
  c.policy_delay = 3;
  c.exploration_noise = 0.5;
  c.env_id = "MountainCarContinuous-v0";
  EXPECT_TRUE(TD3Config::from_json(nlohmann::json::parse(c.to_json().dump())) == c);
  EXPECT_TRUE(TD3Config::from_json(TD3Config().to_json()) == TD3Config());
  EXPECT_DOUBLE_EQ(TD3Config().critic_learning_rate, 3e-4);
  EXPECT_DOUBLE_EQ(TD3Config().policy_noise, 0.2);
  EXPECT_DOUBLE_EQ(TD3Config().noise_clip, 0.5);
  EXPECT_ERROR_CONTAINS(TD3Config::from_json({{"policy_delay", 0}}),
                        "TD3 config: 'policy_delay' must be at least 1");
  EXPECT_ERROR_CONTAINS(TD3Config::from_json({{"noise_clip", -0.1}}), "'noise_clip'");
  EXPECT_ERROR_CONTAINS(TD3Config::from_json({{"alpha", 0.1}}), "unknown key 'alpha'");
}

TEST(OffPolicyPresets, ApplyOverTheDefaultsAndValidate) {
  for (const auto& [env, keys] : sac_presets()) {
    SACConfig c = SACConfig::from_json(keys);
    c.env_id = env;
    EXPECT_NO_THROW(c.validate()) << env;
  }
  for (const auto& [env, keys] : td3_presets()) {
    TD3Config c = TD3Config::from_json(keys);
    c.env_id = env;
    EXPECT_NO_THROW(c.validate()) << env;
  }
  EXPECT_EQ(sac_untuned_config("Foo-v0").env_id, "Foo-v0");
}

}  // namespace
}  // namespace cairn
