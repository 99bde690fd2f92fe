// Policies with memory: the state is the caller's (initial_state, compute_action(obs, state)
// -> state), one policy serves several episodes at once, episode starts reset the state, and a
// recurrent policy folder restores alone and replays its recorded sequence bit for bit.
#include <gtest/gtest.h>

#include <bit>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Policy> recurrent_policy(const std::string& cell, bool shared, bool box_actions) {
  nn::MemoryOptions memory;
  memory.cell = cell;
  memory.units = 8;
  memory.encoder = {16};
  memory.shared = shared;
  const Space actions = box_actions ? Space::box(-2.0f, 2.0f, {1}) : Space::discrete(3);
  const nn::Index dist_inputs = box_actions ? 1 : 3;
  PolicyOptions options;
  options.normalize_observations = box_actions;
  auto policy = std::make_unique<Policy>(
      Space::box(-5.0f, 5.0f, {4}), actions,
      nn::with_memory(nn::ppo_actor_critic(4, dist_inputs), memory), options, 3);
  Rng rng(5);
  for (float& p : policy->model().flat_parameters()) p = static_cast<float>(0.4 * rng.normal());
  if (box_actions) {
    policy->update_observation_statistics(sample_observations(policy->observation_space(), 32, 4));
  }
  return policy;
}

bool same_float_bits(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

TEST(RecurrentPolicy, StateIsTheCallersAndOnePolicyServesManyEpisodes) {
  for (const char* cell : {"lstm", "gru"}) {
    auto policy = recurrent_policy(cell, true, false);
    ASSERT_TRUE(policy->is_recurrent());
    EXPECT_EQ(policy->state_size(), std::string(cell) == "lstm" ? 16u : 8u);
    EXPECT_EQ(policy->initial_state(3), std::vector<float>(3 * policy->state_size(), 0.0f));
    const size_t episodes = 3, steps = 7, s = policy->state_size();
    const std::vector<float> obs =
        sample_observations(policy->observation_space(), episodes * steps, 8);
    // Episode 1 restarts at step 4.
    std::vector<uint8_t> starts(episodes * steps, 0);
    for (size_t e = 0; e < episodes; ++e) starts[e] = 1;
    starts[4 * episodes + 1] = 1;

    // All episodes as one batch per step.
    std::vector<float> state = policy->initial_state(episodes);
    std::vector<int64_t> batched(episodes * steps);
    std::vector<float> batched_states;
    Rng unused(0);
    for (size_t t = 0; t < steps; ++t) {
      policy->compute_actions(
          std::span<const float>(obs).subspan(t * episodes * 4, episodes * 4), state,
          std::span<const uint8_t>(starts).subspan(t * episodes, episodes), state, false, unused,
          std::span<int64_t>(batched).subspan(t * episodes, episodes), {});
      batched_states.insert(batched_states.end(), state.begin(), state.end());
    }
    // Each episode alone, one step at a time, interleaved with the others' calls.
    std::vector<std::vector<float>> states(episodes, policy->initial_state());
    for (size_t t = 0; t < steps; ++t) {
      for (size_t e = 0; e < episodes; ++e) {
        const ActionRef a =
            policy->compute_action(std::span<const float>(obs).subspan((t * episodes + e) * 4, 4),
                                   states[e], starts[t * episodes + e] != 0, states[e]);
        EXPECT_EQ(a.discrete[0], batched[t * episodes + e])
            << cell << " step " << t << " episode " << e;
        EXPECT_TRUE(same_float_bits(
            states[e], std::span<const float>(batched_states).subspan((t * episodes + e) * s, s)))
            << cell << " step " << t << " episode " << e;
      }
    }
    // The memory matters: the same observation from another state gives another state.
    std::vector<float> other(s, 0.25f), out_a(s), out_b(s);
    policy->compute_action(std::span<const float>(obs).first(4), policy->initial_state(), false,
                           out_a);
    policy->compute_action(std::span<const float>(obs).first(4), other, false, out_b);
    EXPECT_NE(out_a, out_b);
    // An episode start resets the state: the state passed in no longer matters.
    policy->compute_action(std::span<const float>(obs).first(4), other, true, out_b);
    EXPECT_TRUE(same_float_bits(out_a, out_b));
  }
}

TEST(RecurrentPolicy, EntryPointsWithoutStateAndWrongSizesAreRefused) {
  auto policy = recurrent_policy("lstm", false, true);
  const std::vector<float> obs(4, 0.5f);
  EXPECT_ERROR_CONTAINS(policy->compute_action(obs), "this policy is recurrent");
  EXPECT_ERROR_CONTAINS(policy->value(obs), "this policy is recurrent");
  std::vector<float> state(policy->state_size() - 1), out(policy->state_size());
  EXPECT_ERROR_CONTAINS(policy->compute_action(obs, state, false, out),
                        "state_in has " + std::to_string(state.size()));
  std::vector<float> two(2 * policy->state_size()), actions(2);
  const std::vector<float> obs2(8, 0.5f);
  const std::vector<uint8_t> starts(3, 0);
  Rng rng(0);
  EXPECT_ERROR_CONTAINS(policy->compute_actions(obs2, two, starts, two, false, rng, {}, actions),
                        "3 episode-start flags for 2 observations");
  // A feed-forward policy serves the same entry point with empty states.
  Policy plain(Space::box(-5.0f, 5.0f, {4}), Space::discrete(2), nn::ppo_actor_critic(4, 2));
  EXPECT_EQ(plain.state_size(), 0u);
  const int64_t with_state = plain.compute_action(obs, {}, true, {}).discrete[0];
  EXPECT_EQ(with_state, plain.compute_action(obs).discrete[0]);
}

TEST(RecurrentPolicy, FolderRestoresAloneAndReplaysItsSequenceBitExactly) {
  testing_io::ScratchDir dir;
  for (const bool box : {false, true}) {
    auto policy = recurrent_policy(box ? "gru" : "lstm", !box, box);
    const fs::path folder = dir / (box ? "gru" : "lstm");
    policy->save(folder);
    const TensorDict example = read_safetensors(folder / kPolicyExampleFile);
    ASSERT_TRUE(example.contains("state_in"));
    ASSERT_TRUE(example.contains("state_out"));
    const std::vector<int64_t> starts = example.at("episode_start").to_vector<int64_t>();
    EXPECT_EQ(starts, (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}));
    PolicyRestoreReport report;
    auto restored = Policy::from_checkpoint(folder, PolicyRestoreOptions(), &report);
    EXPECT_TRUE(report.example_checked);
    EXPECT_TRUE(report.bit_identical);
    EXPECT_EQ(report.example_rows, 16u);
    EXPECT_EQ(restored->state_size(), policy->state_size());
    EXPECT_EQ(restored->state_layout().size(), box ? 2u : 1u);  // separate cores for pi and vf
  }
}

TEST(RecurrentPolicy, RestoreCatchesAPolicyThatDoesNotCarryItsState) {
  // The recorded sequence is checked step by step with its state: a policy folder whose
  // example was recorded from another state does not verify.
  testing_io::ScratchDir dir;
  auto policy = recurrent_policy("lstm", true, false);
  const fs::path folder = dir / "p";
  std::vector<float> obs = sample_observations(policy->observation_space(), 16, 0);
  TensorDict recorded = record_policy_example(*policy, obs);
  const std::vector<float> zeros = policy->initial_state();
  TensorDict from_zero =
      record_policy_example(*policy, obs, recorded.at("episode_start").to_vector<int64_t>(), zeros);
  // Recording from the initial state gives other actions' inputs than from the drawn state...
  EXPECT_FALSE(same_float_bits(recorded.at("dist_inputs").to_vector<float>(),
                               from_zero.at("dist_inputs").to_vector<float>()));
  // ...until the episode start at row 8, after which both sequences agree.
  const std::vector<float> a = recorded.at("state_out").to_vector<float>();
  const std::vector<float> b = from_zero.at("state_out").to_vector<float>();
  const size_t s = policy->state_size();
  EXPECT_TRUE(same_float_bits(std::span<const float>(a).subspan(8 * s),
                              std::span<const float>(b).subspan(8 * s)));
  EXPECT_FALSE(same_float_bits(std::span<const float>(a).first(8 * s),
                               std::span<const float>(b).first(8 * s)));
}

}  // namespace
}  // namespace cairn
