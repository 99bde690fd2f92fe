// Recurrent PPO: the memory tasks are solved with memory and not without (learning tests,
// 5 seeds, deterministic evaluation, release builds only), and the update trains on whole
// sequences gathered time-major from the rollout, starting each from the state the rollout
// carried (so the first epoch's first recomputed log-probabilities equal the rollout's).
#include <gtest/gtest.h>

#include <numeric>

#include "cairn/algorithms/ppo.h"
#include "cairn/algorithms/rollout_memory.h"
#include "cairn/storage/rollout_buffer.h"
#include "error_matchers.h"
#include "support/learning_run.h"

namespace cairn {
namespace {

using testing_learning::expect_learns;
using testing_learning::learned_mean_return;
using testing_learning::learning_seeds;

TEST(RecurrentPPOLearning, LstmSolvesStatelessCartPoleOnEverySeed) {
  const PPOConfig c = ppo_preset("StatelessCartPole-v1");
  ASSERT_FALSE(c.memory.is_null());
  expect_learns<PPO>(c, learning_seeds(5, nullptr), 475.0, "StatelessCartPole-v1 with an LSTM");
}

// Memory is what separates success from failure: the same settings without the memory
// core (the feed-forward network the core would wrap) stay far below on every seed.
TEST(RecurrentPPOLearning, WithoutMemoryStatelessCartPoleStaysFarBelow) {
  if (testing_build::sanitized_build()) GTEST_SKIP() << "learning tests run in the release build";
  PPOConfig c = ppo_preset("StatelessCartPole-v1");
  c.memory = nullptr;
  for (uint64_t seed : learning_seeds(5, nullptr)) {
    EXPECT_LT((learned_mean_return<PPO>(c, seed)), 200.0) << "seed " << seed;
  }
}

TEST(RecurrentPPOLearning, MemoryCueIsSolvedWithMemoryAndNotWithout) {
  if (testing_build::sanitized_build()) GTEST_SKIP() << "learning tests run in the release build";
  const PPOConfig with = ppo_preset("MemoryCue-v0");
  ASSERT_FALSE(with.memory.is_null());
  PPOConfig without = with;
  without.memory = nullptr;
  for (uint64_t seed : learning_seeds(5, nullptr)) {
    // +1 for the cue recalled after 8 steps, -1 for a wrong answer: chance is 0.
    EXPECT_GE((learned_mean_return<PPO>(with, seed)), 0.9) << "with memory, seed " << seed;
    EXPECT_LT((learned_mean_return<PPO>(without, seed)), 0.4) << "without memory, seed " << seed;
  }
}

TEST(RecurrentRollout, SequencesAreGatheredTimeMajorWithTheirStartsAndFirstStates) {
  // 2 environments x 6 steps, sequences of 3 steps: sequence k * 2 + e is steps
  // 3k .. 3k + 2 of environment e.
  const RolloutSizes sizes{6, 2, 1, 1, true, 2, 3};
  RolloutBuffer buf(sizes);
  ASSERT_EQ(buf.num_sequences(), 4u);
  for (size_t t = 0; t < 6; ++t) {
    for (size_t e = 0; e < 2; ++e) {
      buf.features(t)[e] = static_cast<float>(10 * t + e);  // the row's identity
      buf.episode_starts(t)[e] = (t == 4 && e == 1) ? 1 : 0;
    }
  }
  for (size_t k = 0; k < 2; ++k) {
    const std::span<float> states = buf.sequence_states(k);
    for (size_t i = 0; i < states.size(); ++i) states[i] = static_cast<float>(100 * k + i);
  }
  RolloutMinibatch mb(sizes, 6);
  const std::vector<size_t> sequences{3, 0};  // environment 1's second, environment 0's first
  buf.gather_sequences(sequences, mb);
  EXPECT_EQ(mb.rows, 6u);
  EXPECT_EQ(mb.sequences, 2u);
  // Row i * 2 + j is step i of sequences[j].
  EXPECT_EQ(std::vector<float>(mb.features.begin(), mb.features.begin() + 6),
            (std::vector<float>{31, 0, 41, 10, 51, 20}));
  EXPECT_EQ(std::vector<uint8_t>(mb.starts.begin(), mb.starts.begin() + 6),
            (std::vector<uint8_t>{0, 0, 1, 0, 0, 0}));
  // Sequence 3 starts from chunk 1's state of environment 1, sequence 0 from chunk 0's of 0.
  EXPECT_EQ(std::vector<float>(mb.initial_states.begin(), mb.initial_states.begin() + 4),
            (std::vector<float>{102, 103, 0, 1}));
}

// The update's first minibatch is the rollout recomputed: with the state each sequence
// started from and the same resets, the new log-probabilities equal the old ones bit for bit,
// so the first minibatch's approximate KL and clip fraction are exactly zero.
TEST(RecurrentPPO, TheFirstMinibatchRecomputesTheRolloutExactly) {
  PPOConfig c = ppo_preset("StatelessCartPole-v1");
  c.num_epochs = 1;
  c.num_minibatches = 1;  // the first (and only) minibatch comes before any weight change
  for (const char* cell : {"lstm", "gru"}) {
    c.memory = {{"cell", cell}, {"units", 16}, {"shared", std::string(cell) == "gru"}};
    PPO ppo(c);
    for (int i = 0; i < 3; ++i) {
      const TrainResult r = ppo.train();
      EXPECT_EQ(r.metrics.at("approx_kl"), 0.0) << cell << " iteration " << i;
      EXPECT_EQ(r.metrics.at("clip_fraction"), 0.0) << cell << " iteration " << i;
    }
  }
}

TEST(RolloutMemory, CarriesStatesAndStartsAndRestoresOnlyWhatItSaved) {
  RolloutMemory memory(3, 2, 4);
  // Every environment starts an episode from the zero state.
  const nn::SequenceInput<float> first = memory.step_input();
  EXPECT_EQ(std::vector<uint8_t>(first.starts.begin(), first.starts.end()),
            (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_TRUE(first.state.map().isZero(0.0));
  const std::vector<uint8_t> terminated{0, 1, 0}, truncated{0, 0, 1};
  memory.episodes_ended(terminated, truncated);
  EXPECT_EQ(
      std::vector<uint8_t>(memory.step_input().starts.begin(), memory.step_input().starts.end()),
      (std::vector<uint8_t>{0, 1, 1}));
  TensorDict saved;
  memory.save(saved);
  RolloutMemory restored(3, 2, 4);
  restored.restore(saved);
  EXPECT_EQ(std::vector<uint8_t>(restored.step_input().starts.begin(),
                                 restored.step_input().starts.end()),
            (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_NO_THROW(RolloutMemory::check(saved, 3));
  EXPECT_ERROR_CONTAINS(RolloutMemory::check(saved, 4), "memory/state");
  TensorDict bad;
  bad.insert("memory/state", saved.at("memory/state"));
  const std::vector<int64_t> flags{0, 2, 1};
  bad.insert("memory/episode_start", Tensor::i64(flags, {3}));
  EXPECT_ERROR_CONTAINS(restored.restore(bad), "'memory/episode_start' element 1 is 2");
  RolloutMemory wider(3, 5, 4);
  EXPECT_ERROR_CONTAINS(wider.restore(saved), "memory/state");
}

}  // namespace
}  // namespace cairn
