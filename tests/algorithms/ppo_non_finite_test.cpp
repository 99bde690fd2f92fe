// PPO and non-finite numbers: detected where they enter, named, or skipped and counted.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cairn/algorithms/ppo.h"
#include "cairn/nn/finite.h"
#include "checkpoint/checkpoint_test_files.h"
#include "env/faulty_env.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

PPOConfig faulty_config(const std::string& fault, int64_t step, int64_t seed = -1) {
  testing_env::register_faulty_env();
  PPOConfig c;
  c.env_id = "FaultyEnv-v0";
  c.env_options = {{"fault", fault}, {"fault_step", step}, {"fault_seed", seed}};
  c.num_envs = 2;
  c.num_steps = 16;
  c.num_minibatches = 2;
  c.num_epochs = 2;
  c.hidden_sizes = {8};
  return c;
}

bool weights_finite(PPO& ppo) {
  return ppo.policy().non_finite_weights().empty();
}

TEST(PPONonFinite, NaNRewardStopsTrainingNamingItsSource) {
  PPO ppo(faulty_config("reward_nan", 20, /*seed=*/2));  // config seed 1: environment 1
  ppo.train();                                           // 16 steps per environment: no fault yet
  EXPECT_ERROR_CONTAINS(ppo.train(),
                        "PPO iteration 2, rollout step 3: VectorEnv: environment 1 (FaultyEnv-v0) "
                        "returned a non-finite reward (nan)");
  EXPECT_ERROR_CONTAINS(PPO(faulty_config("reward_nan", 1)).train(),
                        "set the PPO config's \"non_finite\" to \"skip\"");
}

TEST(PPONonFinite, NaNAndInfiniteObservationsStopTraining) {
  EXPECT_ERROR_CONTAINS(PPO(faulty_config("obs_nan", 5)).train(),
                        "rollout step 4: VectorEnv: environment 0 (FaultyEnv-v0) returned a "
                        "non-finite observation at step 5 of its episode: element 1 is nan");
  EXPECT_ERROR_CONTAINS(PPO(faulty_config("obs_inf", 5)).train(), "element 1 is inf");
}

TEST(PPONonFinite, RewardBeyondFloatRangeStopsTraining) {
  EXPECT_ERROR_CONTAINS(PPO(faulty_config("reward_huge", 3)).train(),
                        "rollout step 2: environment 0 (FaultyEnv-v0) returned reward");
  PPOConfig normalized = faulty_config("reward_huge", 3);
  normalized.normalize_rewards = true;
  EXPECT_ERROR_CONTAINS(PPO(normalized).train(), "which reward normalisation turned into");
}

TEST(PPONonFinite, SkipDropsAndCountsTransitionsAndKeepsWeightsFinite) {
  for (const char* fault : {"reward_nan", "obs_nan", "obs_inf"}) {
    PPOConfig c = faulty_config(fault, 5);
    c.non_finite = NonFiniteHandling::kSkip;
    c.normalize_observations = true;
    c.normalize_rewards = true;
    PPO ppo(c);
    const TrainResult r = ppo.train();
    EXPECT_EQ(r.non_finite_transitions_skipped, 2) << fault;  // both environments, once
    EXPECT_EQ(r.non_finite_minibatches_skipped, 0) << fault;
    EXPECT_TRUE(weights_finite(ppo)) << fault << ": " << ppo.policy().non_finite_weights();
    EXPECT_TRUE(std::isfinite(r.metrics.at("policy_loss"))) << fault;
    // The dropped episodes are not counted: 32 steps make 2 episodes of 10 per
    // environment, minus the two cut short.
    EXPECT_EQ(r.episodes, 2) << fault;
    EXPECT_EQ(r.episode_return_mean, 10.0) << fault;
    const TrainResult next = ppo.train();
    EXPECT_EQ(next.non_finite_transitions_skipped, 0) << fault;
    EXPECT_EQ(next.to_json()["non_finite_transitions_skipped"], 0);
    const RunningMeanStd* stats = ppo.policy().observation_statistics();
    ASSERT_NE(stats, nullptr);
    for (double m : stats->mean()) EXPECT_TRUE(std::isfinite(m)) << fault;
  }
}

TEST(PPONonFinite, NonFiniteLossIsErrorOrSkippedMinibatch) {
  // Observations of 1e30 are finite, but through two relu layers the gradient overflows.
  PPOConfig c = faulty_config("obs_large", 1);
  c.env_options["fault_every"] = true;
  c.activation = "relu";
  EXPECT_ERROR_CONTAINS(PPO(c).train(),
                        "PPO iteration 1, epoch 1: the loss or gradient of a minibatch is not "
                        "finite");
  c.non_finite = NonFiniteHandling::kSkip;
  PPO ppo(c);
  const TrainResult r = ppo.train();
  EXPECT_EQ(r.non_finite_minibatches_skipped, 4);  // 2 epochs x 2 minibatches
  EXPECT_TRUE(weights_finite(ppo));
}

TEST(PPONonFinite, NonFiniteWeightsAreNeverCheckpointed) {
  ScratchDir dir;
  PPO ppo(faulty_config("reward_nan", -1));
  ppo.train();
  ppo.policy().model().flat_parameters()[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_ERROR_CONTAINS(ppo.save_checkpoint(dir.path() / "ckpt"),
                        "the policy's weights are not finite (tensor 'pi/dense_0/kernel' element "
                        "3 is nan)");
  EXPECT_FALSE(fs::exists(dir.path() / "ckpt"));
  EXPECT_ERROR_CONTAINS(ppo.policy().save(dir.path() / "policy"),
                        "refusing to write the policy folder");
  EXPECT_FALSE(fs::exists(dir.path() / "policy"));
  // Training on with a NaN weight stops at once instead of spreading it.
  EXPECT_ERROR_CONTAINS(ppo.train(),
                        "PPO iteration 2: the policy's weights are not finite (tensor "
                        "'pi/dense_0/kernel' element 3 is nan)");
}

TEST(PPONonFinite, ResumedStateWithNaNIsRefusedNamingTheTensor) {
  ScratchDir dir;
  PPOConfig c = faulty_config("reward_nan", -1);
  c.normalize_rewards = true;
  PPO ppo(c);
  ppo.train();
  for (const std::string name :
       {"optimizer/model/exp_avg/pi/dense_0/bias", "reward_normalizer/var", "recent_returns"}) {
    const fs::path ckpt = dir.path() / ("ckpt_" + std::to_string(name.size()));
    ppo.save_checkpoint(ckpt);
    TensorDict state = read_safetensors(ckpt / "algorithm_state.safetensors");
    Tensor t = state.at(name);
    if (t.dtype() == DType::f32) {
      std::vector<float> v = t.to_vector<float>();
      v.back() = std::numeric_limits<float>::quiet_NaN();
      state.insert_or_assign(name, Tensor::f32(v, t.shape()));
    } else {
      std::vector<double> v = t.to_vector<double>();
      v.back() = std::numeric_limits<double>::infinity();
      state.insert_or_assign(name, Tensor::f64(v, t.shape()));
    }
    write_safetensors(ckpt / "algorithm_state.safetensors", state);
    checkpoint_testing::rehash(ckpt, "cairn_checkpoint.json");
    EXPECT_ERROR_CONTAINS(PPO::from_checkpoint(ckpt),
                          "tensor '" + name + "' holds non-finite values");
  }
}

TEST(PPONonFinite, EvaluateRefusesNonFiniteRewardsAndObservations) {
  PPO nan_reward(faulty_config("reward_nan", 3));
  EXPECT_ERROR_CONTAINS(nan_reward.evaluate(1),
                        "PPO::evaluate: FaultyEnv-v0 returned a non-finite reward (nan) at step 3 "
                        "of episode 0");
  PPO nan_obs(faulty_config("obs_nan", 3));
  EXPECT_ERROR_CONTAINS(nan_obs.evaluate(1),
                        "PPO::evaluate: FaultyEnv-v0, episode 0, step 3: Policy: observation 0 "
                        "element 1 is nan");
}

}  // namespace
}  // namespace cairn
