#include "cairn/policy/policy.h"

#include <gtest/gtest.h>

#include <cmath>

#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "error_matchers.h"
#include "support/allocation_counter.h"

namespace cairn {
namespace {

nn::ModelSpec actor_critic(size_t obs, size_t dist_inputs) {
  return nn::ppo_actor_critic(static_cast<nn::Index>(obs), static_cast<nn::Index>(dist_inputs));
}

TEST(Policy, RefusesModelsThatDoNotFitTheSpaces) {
  const Space obs = Space::box(-1.0f, 1.0f, {3});
  EXPECT_ERROR_CONTAINS(Policy(obs, Space::discrete(2), actor_critic(4, 2)),
                        "the model's input size is 4 but the observation space");
  EXPECT_ERROR_CONTAINS(Policy(obs, Space::discrete(2), actor_critic(3, 3)),
                        "\"pi\" output has 3 columns but the categorical distribution");
  const nn::ModelSpec no_vf =
      nn::ModelBuilder(3).add(nn::Block("pi").dense(2)).output("pi").build();
  EXPECT_ERROR_CONTAINS(Policy(obs, Space::discrete(2), no_vf), "vf");
  PolicyOptions normalize;
  normalize.normalize_observations = true;
  EXPECT_ERROR_CONTAINS(
      Policy(Space::discrete(4), Space::discrete(2), actor_critic(4, 2), normalize),
      "observation normalisation needs a Box");
}

TEST(Policy, DeterministicActionIsTheArgmaxOfTheLogits) {
  Policy policy(Space::box(-5.0f, 5.0f, {4}), Space::discrete(3, 10), actor_critic(4, 3), {}, 7);
  Rng rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> obs(4);
    Space::box(-5.0f, 5.0f, {4}).sample(rng, std::span<float>(obs));
    const ActionRef a = policy.compute_action(obs);
    policy.forward(obs);  // features == obs without normalisation
    const auto logits = policy.distribution_inputs().flat();
    const int64_t best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    ASSERT_EQ(a.discrete.size(), 1u);
    EXPECT_EQ(a.discrete[0], best + 10);  // the space's start is added
  }
}

TEST(Policy, BoxActionsAreClippedToTheBounds) {
  PolicyOptions options;
  options.log_std_init = 3.0;  // wide Gaussian: samples leave the bounds often
  Policy policy(Space::box(-1.0f, 1.0f, {2}), Space::box(-0.5f, 0.5f, {2}), actor_critic(2, 2),
                options, 3);
  Rng rng(2);
  const std::vector<float> obs = {0.3f, -0.2f};
  for (int i = 0; i < 200; ++i) {
    const ActionRef a = policy.compute_action(obs, true, rng);
    ASSERT_EQ(a.continuous.size(), 2u);
    for (float v : a.continuous) {
      ASSERT_GE(v, -0.5f);
      ASSERT_LE(v, 0.5f);
    }
  }
  EXPECT_EQ(policy.log_std().size(), 2u);
  EXPECT_EQ(policy.log_std()[0], 3.0f);
}

TEST(Policy, DiscreteObservationsAreOneHot) {
  Policy policy(Space::discrete(4, 1), Space::discrete(2), actor_critic(4, 2));
  std::vector<float> features(4);
  const float obs[] = {3.0f};
  policy.preprocess(obs, features);
  EXPECT_EQ(features, (std::vector<float>{0, 0, 1, 0}));
  const float bad[] = {7.0f};
  EXPECT_ERROR_CONTAINS(policy.preprocess(bad, features), "is not in Discrete(4, start=1)");
}

TEST(Policy, NormalisationUsesThePolicysStatistics) {
  PolicyOptions options;
  options.normalize_observations = true;
  options.observation_clip = 5.0f;
  Policy policy(Space::box(-100.0f, 100.0f, {2}), Space::discrete(2), actor_critic(2, 2), options);
  const std::vector<float> batch = {10.0f, -4.0f, 12.0f, -6.0f, 14.0f, -8.0f};
  policy.update_observation_statistics(batch);
  std::vector<float> features(2), expected(2);
  const std::vector<float> obs = {12.0f, -6.0f};
  policy.preprocess(obs, features);
  policy.observation_statistics()->normalize(obs, expected);
  EXPECT_EQ(features, expected);
  EXPECT_NEAR(features[0], 0.0f, 1e-3);  // the mean maps to ~0
}

TEST(Policy, BatchAndSingleObservationAgree) {
  Policy policy(Space::box(-2.0f, 2.0f, {3}), Space::discrete(4), actor_critic(3, 4), {}, 11);
  Rng rng(5);
  std::vector<float> batch(5 * 3);
  for (float& x : batch) x = static_cast<float>(rng.uniform(-2, 2));
  std::vector<int64_t> actions(5);
  policy.compute_actions(batch, false, rng, actions, {});
  std::vector<float> values(5);
  policy.values(batch, values);
  for (size_t b = 0; b < 5; ++b) {
    const std::span<const float> one(batch.data() + 3 * b, 3);
    EXPECT_EQ(policy.compute_action(one).discrete[0], actions[b]);
    EXPECT_NEAR(policy.value(one), values[b], 1e-6f);
  }
  EXPECT_ERROR_CONTAINS(policy.compute_action(std::vector<float>(2)),
                        "the observation has 2 values");
}

TEST(Policy, ActingDoesNotAllocate) {
  Policy policy(Space::box(-2.0f, 2.0f, {4}), Space::box(-1.0f, 1.0f, {2}), actor_critic(4, 2));
  policy.reserve(16);
  Rng rng(1);
  std::vector<float> obs(4, 0.5f), batch(16 * 4, 0.1f), actions(16 * 2), values(16);
  policy.compute_action(obs, true, rng);
  testing::AllocationCounter counter;
  for (int i = 0; i < 10; ++i) {
    policy.compute_action(obs, true, rng);
    policy.compute_action(obs);
    policy.compute_actions(batch, true, rng, {}, actions);
    policy.values(batch, values);
    policy.value(obs);
  }
  EXPECT_EQ(counter.count(), 0u);
}

}  // namespace
}  // namespace cairn
