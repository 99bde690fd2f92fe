// The learning tests' driver (ppo_test, sac_td3_test, dqn_test): train a config with each
// seed for its total_timesteps, evaluate the policy deterministically over 100 episodes
// and expect the mean return to reach a threshold. Learning tests run in release builds
// only (sanitized builds are an order of magnitude slower).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm.h"
#include "support/sanitized_build.h"

namespace cairn::testing_learning {

using testing_build::sanitized_build;

// Seeds 1..count, or 1..$`environment_variable` when it is set (the benches set 5).
inline std::vector<uint64_t> learning_seeds(uint64_t count, const char* environment_variable) {
  const char* n = environment_variable ? std::getenv(environment_variable) : nullptr;
  if (n != nullptr) count = std::strtoull(n, nullptr, 10);
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= std::max<uint64_t>(count, 1); ++s) seeds.push_back(s);
  return seeds;
}

// Trains `config` (its seed set to `seed`) for config.total_timesteps and returns the mean
// return of 100 deterministic evaluation episodes.
template <typename Algo, typename Config>
double learned_mean_return(Config config, uint64_t seed) {
  config.seed = seed;
  Algo algo(config);
  StopConditions stop;
  stop.timesteps = config.total_timesteps;
  algo.learn(stop);
  return algo.evaluate(100, /*deterministic=*/true).mean_return;
}

// learned_mean_return() >= threshold for every seed, reported with `what` and the seed.
// Call from the test body (it skips the test in sanitized builds).
template <typename Algo, typename Config>
void expect_learns(const Config& config, const std::vector<uint64_t>& seeds, double threshold,
                   const std::string& what) {
  if (sanitized_build()) GTEST_SKIP() << "learning tests run in the release build";
  for (uint64_t seed : seeds) {
    EXPECT_GE((learned_mean_return<Algo>(config, seed)), threshold) << what << ", seed " << seed;
  }
}

}  // namespace cairn::testing_learning
