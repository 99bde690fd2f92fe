// ppo_preset for an environment cairn has no preset for (a user's): a config for a short
// first run, which learns within its horizon.
#include <gtest/gtest.h>

#include "cairn/algorithms/ppo.h"
#include "cairn/algorithms/ppo_config.h"

namespace cairn {
namespace {

TEST(PPOPresetUntuned, AUserEnvironmentGetsAShortFirstRun) {
  EXPECT_FALSE(has_ppo_preset("MyUserEnv-v0"));
  const PPOConfig c = ppo_preset("MyUserEnv-v0");
  EXPECT_EQ(c.env_id, "MyUserEnv-v0");
  EXPECT_EQ(c.total_timesteps, 100000);  // not CleanRL's 500k
  EXPECT_EQ(c.num_envs, 8);
  EXPECT_EQ(c.num_steps, 64);
  EXPECT_DOUBLE_EQ(c.learning_rate, 1e-3);
  EXPECT_EQ(c.model, nlohmann::json("default"));
  EXPECT_NO_THROW(c.validate());
  // Every untuned id gets the same config.
  PPOConfig other = ppo_preset("MountainCar-v0");
  other.env_id = c.env_id;
  EXPECT_TRUE(other == c);
}

// The untuned config learns CartPole (treated as if it had no preset) well within its
// horizon: the last 100 episodes average over 195 (Gym's old threshold) by 60k steps.
TEST(PPOPresetUntuned, LearnsWithinAShortRun) {
  PPOConfig c = ppo_preset("Untuned-v0");
  c.env_id = "CartPole-v1";
  c.seed = 1;
  PPO ppo(c);
  StopConditions stop;
  stop.timesteps = 60000;
  stop.mean_return = 195;
  const std::vector<TrainResult> results = ppo.learn(stop);
  ASSERT_FALSE(results.empty());
  EXPECT_GE(results.back().episode_return_mean, 195) << results.back().timesteps;
}

}  // namespace
}  // namespace cairn
