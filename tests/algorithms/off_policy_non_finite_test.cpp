// The off-policy loop (DQN, SAC) and non-finite numbers: a NaN reward or observation stops
// training naming its source, or with "skip" the step is dropped, counted and never stored
// in the replay buffer.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "cairn/algorithms/dqn.h"
#include "cairn/algorithms/sac.h"
#include "env/faulty_env.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// FaultyEnv-v0 (reward 1 every step, 10-step episodes) faulting at its 5th step.
template <typename Config>
Config off_policy_faulty_config(const std::string& fault, bool box_actions) {
  testing_env::register_faulty_env();
  Config c;
  c.env_id = "FaultyEnv-v0";
  c.env_options = {{"fault", fault}, {"fault_step", 5}, {"box_actions", box_actions}};
  c.num_envs = 1;
  c.steps_per_iteration = 20;
  c.learning_starts = 2;
  c.batch_size = 4;
  c.buffer_size = 100;
  c.hidden_sizes = {8};
  return c;
}

DQNConfig faulty_dqn_config(const std::string& fault) {
  DQNConfig c = off_policy_faulty_config<DQNConfig>(fault, false);
  c.train_freq = 1;
  c.target_update_interval = 4;
  return c;
}

SACConfig faulty_sac_config(const std::string& fault) {
  return off_policy_faulty_config<SACConfig>(fault, true);
}

// Every stored transition's n-step reward (FaultyEnv pays 1 per step; a dropped step
// stored as VectorEnv reports it would carry reward 0).
std::vector<float> stored_rewards(const ReplayBuffer& replay) {
  ReplayBatch batch = replay.make_batch(replay.size());
  std::iota(batch.indices.begin(), batch.indices.end(), size_t{0});
  replay.gather(batch);
  return batch.rewards;
}

void expect_no_stored_dropped_step(const OffPolicyAlgorithm& algo, size_t steps,
                                   const std::string& what) {
  // n_step 1: one transition per step taken, none for the dropped one.
  EXPECT_EQ(algo.replay_buffer().size(), steps - 1) << what;
  for (float r : stored_rewards(algo.replay_buffer())) EXPECT_EQ(r, 1.0f) << what;
}

TEST(OffPolicyNonFinite, ErrorNamesTheEnvironmentAndStep) {
  EXPECT_ERROR_CONTAINS(DQN(faulty_dqn_config("reward_nan")).train(),
                        "DQN iteration 1, vector step 4: VectorEnv: environment 0 "
                        "(FaultyEnv-v0) returned a non-finite reward (nan)");
  EXPECT_ERROR_CONTAINS(DQN(faulty_dqn_config("reward_nan")).train(),
                        "set the DQN config's \"non_finite\" to \"skip\"");
  EXPECT_ERROR_CONTAINS(SAC(faulty_sac_config("obs_nan")).train(),
                        "SAC iteration 1, vector step 4: VectorEnv: environment 0 "
                        "(FaultyEnv-v0) returned a non-finite observation at step 5 of its "
                        "episode: element 1 is nan");
}

TEST(OffPolicyNonFinite, DQNSkipDropsTheStepWithoutStoringIt) {
  for (const char* fault : {"reward_nan", "obs_nan", "obs_inf"}) {
    DQNConfig c = faulty_dqn_config(fault);
    c.non_finite = NonFiniteHandling::kSkip;
    DQN dqn(c);
    const TrainResult r = dqn.train();
    EXPECT_EQ(r.non_finite_transitions_skipped, 1) << fault;
    EXPECT_EQ(r.to_json()["non_finite_transitions_skipped"], 1) << fault;
    expect_no_stored_dropped_step(dqn, 20, fault);
    EXPECT_TRUE(std::isfinite(r.metrics.at("loss"))) << fault;
    // 20 steps: the episode cut at step 5 is not recorded, then one of 10 finishes.
    EXPECT_EQ(r.episodes, 1) << fault;
    const TrainResult next = dqn.train();  // training goes on
    EXPECT_EQ(next.non_finite_transitions_skipped, 0) << fault;
    EXPECT_EQ(dqn.replay_buffer().size(), 39u) << fault;
    EXPECT_TRUE(dqn.policy().non_finite_weights().empty()) << fault;
  }
}

TEST(OffPolicyNonFinite, SACSkipDropsTheStepWithoutStoringIt) {
  for (const char* fault : {"reward_nan", "obs_nan"}) {
    SACConfig c = faulty_sac_config(fault);
    c.non_finite = NonFiniteHandling::kSkip;
    SAC sac(c);
    const TrainResult r = sac.train();
    EXPECT_EQ(r.non_finite_transitions_skipped, 1) << fault;
    EXPECT_EQ(r.to_json()["non_finite_transitions_skipped"], 1) << fault;
    expect_no_stored_dropped_step(sac, 20, fault);
    EXPECT_TRUE(std::isfinite(r.metrics.at("critic_loss"))) << fault;
    sac.train();
    EXPECT_EQ(sac.replay_buffer().size(), 39u) << fault;
    EXPECT_TRUE(sac.policy().non_finite_weights().empty()) << fault;
  }
}

TEST(OffPolicyNonFinite, SkipEndsTheNStepWindowBeforeTheDroppedStep) {
  // n_step 3: the two steps pending when step 5 is dropped are emitted as truncated at
  // the observation step 5 was taken from (returns 1 + g and 1), never with step 5's
  // reward 0 folded in.
  DQNConfig c = faulty_dqn_config("reward_nan");
  c.non_finite = NonFiniteHandling::kSkip;
  c.n_step = 3;
  c.steps_per_iteration = 8;
  DQN dqn(c);
  dqn.train();
  const float g = static_cast<float>(c.gamma);
  // Steps 1-2 emit at steps 3-4 (full windows), steps 3-4 at the drop, steps 6-8 (the new
  // episode) leave steps 6 emitted at step 8 and 7-8 pending.
  const std::vector<float> expected = {1 + g * (1 + g), 1 + g * (1 + g), 1 + g, 1.0f,
                                       1 + g * (1 + g)};
  const std::vector<float> rewards = stored_rewards(dqn.replay_buffer());
  ASSERT_EQ(rewards.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(rewards[i], expected[i]) << i;
}

}  // namespace
}  // namespace cairn
