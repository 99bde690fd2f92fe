#include "cairn/storage/replay_buffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cairn/random/random.h"
#include "cairn/env/vector_env.h"
#include "error_matchers.h"
#include "support/allocation_counter.h"

namespace cairn {
namespace {

// A hand-driven vector step: the caller fills the arrays, step() views them.
struct StepData {
  StepData(size_t envs, size_t obs, size_t act, bool integer)
      : observations(envs * obs),
        next_observations(envs * obs),
        final_observations(envs * obs),
        rewards(envs),
        terminated(envs),
        truncated(envs) {
    if (integer) {
      int_actions.resize(envs * act);
    } else {
      float_actions.resize(envs * act);
    }
  }
  VectorStep step() const {
    return {observations,      int_actions,        float_actions, rewards,
            next_observations, final_observations, terminated,    truncated};
  }
  std::vector<float> observations, next_observations, final_observations;
  std::vector<int64_t> int_actions;
  std::vector<float> float_actions;
  std::vector<double> rewards;
  std::vector<uint8_t> terminated, truncated;
};

ReplayBufferOptions options(size_t capacity, size_t n_step = 1, double gamma = 0.9) {
  ReplayBufferOptions o;
  o.capacity = capacity;
  o.n_step = n_step;
  o.gamma = gamma;
  return o;
}

// One environment, scalar observations and actions: step t acts on observation t with
// action 10 + t and earns reward 100 + t; the next observation is t + 1, the final
// observation of an episode ending at step t is -(t + 1).
void add_scalar_step(ReplayBuffer& buffer, int t, bool terminated = false, bool truncated = false) {
  StepData d(1, 1, 1, false);
  d.observations[0] = static_cast<float>(t);
  d.float_actions[0] = static_cast<float>(10 + t);
  d.rewards[0] = 100.0 + t;
  d.next_observations[0] = static_cast<float>(t + 1);
  d.final_observations[0] = -static_cast<float>(t + 1);
  d.terminated[0] = terminated;
  d.truncated[0] = truncated;
  buffer.add(d.step());
}

const Space kScalarBox = Space::box(-1e6f, 1e6f, {1});

TEST(ReplayBuffer, RingOverwritesTheOldestTransitions) {
  ReplayBuffer buffer(kScalarBox, kScalarBox, 1, options(3));
  EXPECT_EQ(buffer.size(), 0u);
  for (int t = 0; t < 5; ++t) add_scalar_step(buffer, t);
  EXPECT_EQ(buffer.size(), 3u);
  EXPECT_EQ(buffer.position(), 2u);
  // Slots 0 and 1 were overwritten by steps 3 and 4; slot 2 still holds step 2.
  const int expected_step[3] = {3, 4, 2};
  for (size_t slot = 0; slot < 3; ++slot) {
    const auto v = buffer.transition(slot);
    const int t = expected_step[slot];
    EXPECT_EQ(v.observation[0], static_cast<float>(t)) << slot;
    EXPECT_EQ(v.float_action[0], static_cast<float>(10 + t)) << slot;
    EXPECT_EQ(v.reward, static_cast<float>(100 + t)) << slot;
    EXPECT_EQ(v.discount, 0.9f) << slot;
    EXPECT_EQ(v.next_observation[0], static_cast<float>(t + 1)) << slot;
  }
  EXPECT_ERROR_CONTAINS(buffer.transition(3), "slot 3 is not below the buffer's size 3");
}

TEST(ReplayBuffer, TruncationBootstrapsFromTheFinalObservationTerminationNever) {
  // Four environments in one step: running, terminated, truncated, both.
  ReplayBuffer buffer(Space::box(-10.0f, 10.0f, {2}), Space::discrete(3, -1), 4, options(8));
  StepData d(4, 2, 1, true);
  d.observations = {0, 0, 1, 1, 2, 2, 3, 3};
  for (size_t i = 0; i < 4; ++i) {
    const float f = static_cast<float>(i);
    d.int_actions[i] = static_cast<int64_t>(i % 3) - 1;
    d.rewards[i] = 0.5 * static_cast<double>(i);
    d.next_observations[2 * i] = d.next_observations[2 * i + 1] = 5 + f;
    d.final_observations[2 * i] = d.final_observations[2 * i + 1] = -5 - f;
  }
  d.terminated = {0, 1, 0, 1};
  d.truncated = {0, 0, 1, 1};
  buffer.add(d.step());
  ASSERT_EQ(buffer.size(), 4u);
  const float expected_next[4] = {5, -6, -7, -8};
  const float expected_discount[4] = {0.9f, 0.0f, 0.9f, 0.0f};
  for (size_t i = 0; i < 4; ++i) {
    const auto v = buffer.transition(i);
    EXPECT_EQ(v.observation[1], static_cast<float>(i)) << i;
    EXPECT_EQ(v.int_action[0], static_cast<int64_t>(i % 3) - 1) << i;
    EXPECT_EQ(v.reward, static_cast<float>(0.5 * static_cast<double>(i))) << i;
    EXPECT_EQ(v.next_observation[0], expected_next[i]) << i;
    EXPECT_EQ(v.next_observation[1], expected_next[i]) << i;
    EXPECT_EQ(v.discount, expected_discount[i]) << i;
  }
}

TEST(ReplayBuffer, NStepReturnsMatchAHandComputation) {
  // n = 3, gamma = 0.5 (exact in binary, so the hand sums are exact too).
  const double g = 0.5;
  ReplayBuffer buffer(kScalarBox, kScalarBox, 1, options(32, 3, g));
  // Episode A: steps 0..3, terminated at step 3.
  add_scalar_step(buffer, 0);
  add_scalar_step(buffer, 1);
  EXPECT_EQ(buffer.size(), 0u);  // windows not yet full
  EXPECT_EQ(buffer.pending(0), 2u);
  add_scalar_step(buffer, 2);
  add_scalar_step(buffer, 3, /*terminated=*/true);
  // Episode B: steps 4..5, truncated at step 5.
  add_scalar_step(buffer, 4);
  add_scalar_step(buffer, 5, false, /*truncated=*/true);
  // Episode C: steps 6..9 running on (one full window emitted, two pending).
  for (int t = 6; t < 10; ++t) add_scalar_step(buffer, t);
  EXPECT_EQ(buffer.pending(0), 2u);

  auto r = [](int t) { return 100.0 + t; };
  struct Expected {
    int step;
    double reward;
    float discount;
    float next;
  };
  const Expected expected[] = {
      {0, r(0) + g * r(1) + g * g * r(2), 0.125f, 3.0f},  // full window: next obs of step 2
      {1, r(1) + g * r(2) + g * g * r(3), 0.0f, -4.0f},   // terminated inside: no bootstrap
      {2, r(2) + g * r(3), 0.0f, -4.0f},
      {3, r(3), 0.0f, -4.0f},
      {4, r(4) + g * r(5), 0.25f, -6.0f},  // truncated: bootstrap, gamma^2 for 2 steps
      {5, r(5), 0.5f, -6.0f},
      {6, r(6) + g * r(7) + g * g * r(8), 0.125f, 9.0f},
      {7, r(7) + g * r(8) + g * g * r(9), 0.125f, 10.0f},
  };
  ASSERT_EQ(buffer.size(), std::size(expected));
  for (size_t slot = 0; slot < std::size(expected); ++slot) {
    const auto v = buffer.transition(slot);
    const Expected& e = expected[slot];
    EXPECT_EQ(v.observation[0], static_cast<float>(e.step)) << slot;
    EXPECT_EQ(v.float_action[0], static_cast<float>(10 + e.step)) << slot;
    EXPECT_EQ(v.reward, static_cast<float>(e.reward)) << slot;
    EXPECT_EQ(v.discount, e.discount) << slot;
    EXPECT_EQ(v.next_observation[0], e.next) << slot;
  }
}

TEST(ReplayBuffer, NStepWindowsArePerEnvironment) {
  // Two environments, n = 2: environment 1 ends every step, environment 0 never.
  const double g = 0.5;
  ReplayBuffer buffer(kScalarBox, kScalarBox, 2, options(16, 2, g));
  for (int t = 0; t < 3; ++t) {
    StepData d(2, 1, 1, false);
    d.observations = {static_cast<float>(t), static_cast<float>(100 + t)};
    d.float_actions = {0.0f, 1.0f};
    d.rewards = {1.0 + t, 10.0 + t};
    d.next_observations = {static_cast<float>(t + 1), 0.0f};
    d.final_observations = {0.0f, static_cast<float>(-100 - t)};
    d.terminated = {0, 1};
    d.truncated = {0, 0};
    buffer.add(d.step());
  }
  // Step 0: env 1's one-step episode. Step 1: env 0's first window, then env 1. Step 2: same.
  ASSERT_EQ(buffer.size(), 5u);
  EXPECT_EQ(buffer.transition(0).observation[0], 100.0f);
  EXPECT_EQ(buffer.transition(0).discount, 0.0f);
  EXPECT_EQ(buffer.transition(0).next_observation[0], -100.0f);
  EXPECT_EQ(buffer.transition(1).observation[0], 0.0f);
  EXPECT_EQ(buffer.transition(1).reward, static_cast<float>(1.0 + g * 2.0));
  EXPECT_EQ(buffer.transition(1).discount, 0.25f);
  EXPECT_EQ(buffer.transition(1).next_observation[0], 2.0f);
  EXPECT_EQ(buffer.transition(2).observation[0], 101.0f);
  EXPECT_EQ(buffer.transition(3).observation[0], 1.0f);
  EXPECT_EQ(buffer.transition(4).observation[0], 102.0f);
  EXPECT_EQ(buffer.pending(0), 1u);
  EXPECT_EQ(buffer.pending(1), 0u);
}

// Random steps with random episode ends for `envs` environments, from `seed`.
class RandomSteps {
 public:
  RandomSteps(const Space& obs_space, const Space& act_space, size_t envs, uint64_t seed)
      : act_space_(act_space),
        data_(envs, obs_space.size(), act_space.size(), act_space.is_integer()),
        rng_(seed) {}
  // The next step's data, viewed by the returned step until the next call.
  VectorStep next() {
    const size_t envs = data_.rewards.size(), act = act_space_.size();
    for (float& x : data_.observations) x = static_cast<float>(rng_.normal());
    for (float& x : data_.next_observations) x = static_cast<float>(rng_.normal());
    for (float& x : data_.final_observations) x = static_cast<float>(rng_.normal());
    for (size_t i = 0; i < envs; ++i) {
      if (act_space_.is_integer()) {
        act_space_.sample(rng_, std::span(data_.int_actions).subspan(i * act, act));
      } else {
        act_space_.sample(rng_, std::span(data_.float_actions).subspan(i * act, act));
      }
      data_.rewards[i] = rng_.normal();
      const double u = rng_.uniform();
      data_.terminated[i] = u < 0.1;
      data_.truncated[i] = u > 0.85;
    }
    return data_.step();
  }

 private:
  Space act_space_;
  StepData data_;
  Rng rng_;
};

TEST(ReplayBuffer, SamplingIsUniformIndicesFromTheSeed) {
  const Space obs = Space::box(-5.0f, 5.0f, {3}), act = Space::box(-1.0f, 1.0f, {2});
  ReplayBuffer buffer(obs, act, 2, options(50, 2));
  RandomSteps steps(obs, act, 2, 7);
  for (int t = 0; t < 40; ++t) buffer.add(steps.next());
  ASSERT_EQ(buffer.size(), 50u);

  ReplayBatch a = buffer.make_batch(16), b = buffer.make_batch(16);
  Rng rng_a(123), rng_b(123), reference(123);
  buffer.sample(rng_a, a);
  buffer.sample(rng_b, b);
  for (size_t k = 0; k < 16; ++k) {
    EXPECT_EQ(a.indices[k], reference.below(50)) << k;
    EXPECT_EQ(a.indices[k], b.indices[k]);
    const auto v = buffer.transition(a.indices[k]);
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(a.observations[k * 3 + j], v.observation[j]);
      EXPECT_EQ(a.next_observations[k * 3 + j], v.next_observation[j]);
    }
    for (size_t j = 0; j < 2; ++j) EXPECT_EQ(a.float_actions[k * 2 + j], v.float_action[j]);
    EXPECT_EQ(a.rewards[k], v.reward);
    EXPECT_EQ(a.discounts[k], v.discount);
  }
  EXPECT_EQ(rng_a, reference);
  // Every slot is reachable: 2000 draws from 50 slots miss one with probability ~1e-16.
  std::vector<int> hits(50, 0);
  ReplayBatch big = buffer.make_batch(2000);
  buffer.sample_indices(rng_a, big.indices);
  for (size_t i : big.indices) ++hits[i];
  for (size_t s = 0; s < 50; ++s) EXPECT_GT(hits[s], 0) << s;
}

TEST(ReplayBuffer, SamplingAnEmptyBufferIsAnError) {
  ReplayBuffer buffer(kScalarBox, kScalarBox, 1, options(4));
  ReplayBatch batch = buffer.make_batch(2);
  Rng rng(0);
  EXPECT_ERROR_CONTAINS(buffer.sample(rng, batch), "the buffer is empty");
  add_scalar_step(buffer, 0);
  batch.indices = {0, 1};
  EXPECT_ERROR_CONTAINS(buffer.gather(batch), "index 1 is not below the buffer's size 1");
  ReplayBatch wrong = buffer.make_batch(2);
  wrong.rewards.resize(1);
  EXPECT_ERROR_CONTAINS(buffer.sample(rng, wrong), "batch rewards has 1 elements, expected 2");
}

// Saves `a` (through the safetensors bytes, as a checkpoint would), restores into a
// fresh buffer, then checks that adding and sampling continue identically.
void check_round_trip(const Space& obs, const Space& act, size_t envs, const ReplayBufferOptions& o,
                      int steps_before) {
  ReplayBuffer a(obs, act, envs, o);
  RandomSteps steps_a(obs, act, envs, 99);
  for (int t = 0; t < steps_before; ++t) a.add(steps_a.next());

  TensorDict saved("state.safetensors");
  a.save_state(saved, "replay/");
  const TensorDict loaded = parse_safetensors(serialize_safetensors(saved), "state.safetensors");
  ReplayBuffer b(obs, act, envs, o);
  b.restore_state(loaded, "replay/");
  EXPECT_EQ(b.size(), a.size());
  EXPECT_EQ(b.position(), a.position());
  for (size_t e = 0; e < envs; ++e) EXPECT_EQ(b.pending(e), a.pending(e));

  // The same further steps for both: replay steps_a's generator for b.
  RandomSteps steps_b(obs, act, envs, 99);
  for (int t = 0; t < steps_before; ++t) steps_b.next();
  Rng rng_a(5), rng_b(5);
  ReplayBatch batch_a = a.make_batch(8), batch_b = b.make_batch(8);
  for (int t = 0; t < 25; ++t) {
    a.add(steps_a.next());
    b.add(steps_b.next());
    a.sample(rng_a, batch_a);
    b.sample(rng_b, batch_b);
    ASSERT_EQ(batch_a.indices, batch_b.indices) << t;
    ASSERT_EQ(batch_a.observations, batch_b.observations) << t;
    ASSERT_EQ(batch_a.int_actions, batch_b.int_actions) << t;
    ASSERT_EQ(batch_a.float_actions, batch_b.float_actions) << t;
    ASSERT_EQ(batch_a.rewards, batch_b.rewards) << t;
    ASSERT_EQ(batch_a.discounts, batch_b.discounts) << t;
    ASSERT_EQ(batch_a.next_observations, batch_b.next_observations) << t;
  }
  TensorDict end_a, end_b;
  a.save_state(end_a, "");
  b.save_state(end_b, "");
  EXPECT_EQ(end_a, end_b);
}

TEST(ReplayBuffer, SaveRestoreContinuesBitIdentically) {
  const Space obs = Space::box(-5.0f, 5.0f, {3});
  // Wrapped ring, n-step windows pending, integer and float actions.
  check_round_trip(obs, Space::multi_discrete({3, 4}, {-1, 2}), 3, options(17, 3, 0.97), 20);
  check_round_trip(obs, Space::box(-1.0f, 1.0f, {2}), 2, options(40, 4, 0.99), 9);
  // Not yet full, one-step, and empty.
  check_round_trip(obs, Space::discrete(5), 2, options(100, 1, 0.99), 10);
  check_round_trip(obs, Space::discrete(5), 2, options(100, 2, 0.99), 0);
}

class ReplayBufferCorruption : public ::testing::Test {
 protected:
  ReplayBufferCorruption()
      : obs_(Space::box(-5.0f, 5.0f, {2})),
        act_(Space::discrete(3)),
        buffer_(obs_, act_, 2, options(10, 3, 0.5)) {
    RandomSteps steps(obs_, act_, 2, 3);
    for (int t = 0; t < 4; ++t) buffer_.add(steps.next());
    saved_.set_source("ckpt/state.safetensors");
    buffer_.save_state(saved_, "replay/");
  }
  // Restoring `bad` into a fresh buffer fails with `text`, and leaves it unchanged.
  void expect_refused(const TensorDict& bad, const std::string& text) {
    ReplayBuffer fresh(obs_, act_, 2, options(10, 3, 0.5));
    add_one(fresh);
    TensorDict before;
    fresh.save_state(before, "");
    EXPECT_ERROR_CONTAINS(fresh.restore_state(bad, "replay/"), text);
    TensorDict after;
    fresh.save_state(after, "");
    EXPECT_EQ(before, after) << "a refused restore changed the buffer";
  }
  void add_one(ReplayBuffer& b) {
    RandomSteps steps(obs_, act_, 2, 11);
    b.add(steps.next());
  }
  template <typename T>
  TensorDict with(const std::string& name, std::vector<T> values) {
    TensorDict bad = saved_;
    const std::vector<int64_t> shape = bad.at(name).shape();
    bad.insert_or_assign(name, Tensor::from_values(std::span<const T>(values), shape));
    return bad;
  }
  Space obs_, act_;
  ReplayBuffer buffer_;
  TensorDict saved_;
};

TEST_F(ReplayBufferCorruption, TheSavedStateRestores) {
  ReplayBuffer fresh(obs_, act_, 2, options(10, 3, 0.5));
  fresh.restore_state(saved_, "replay/");
  TensorDict again;
  fresh.save_state(again, "replay/");
  EXPECT_EQ(again, saved_);
}

TEST_F(ReplayBufferCorruption, MissingOrMistypedTensorsAreNamed) {
  TensorDict missing = saved_;
  missing.erase("replay/pending_rewards");
  expect_refused(missing, "ckpt/state.safetensors: missing tensor 'replay/pending_rewards'");
  TensorDict typed = saved_;
  const auto rewards = typed.values<float>("replay/rewards");
  std::vector<double> as_double(rewards.begin(), rewards.end());
  typed.insert_or_assign("replay/rewards",
                         Tensor::f64(as_double, {static_cast<int64_t>(as_double.size())}));
  expect_refused(typed, "tensor 'replay/rewards' has dtype F64, expected F32");
  TensorDict shaped = saved_;
  shaped.insert_or_assign("replay/observations", Tensor::f32(std::vector<float>(3), {1, 3}));
  expect_refused(shaped, "tensor 'replay/observations' has shape [1, 3], expected [");
}

TEST_F(ReplayBufferCorruption, ImpossibleValuesAreNamed) {
  // 4 steps x 2 environments with n = 3: at least steps 0 and 1 of each are stored.
  const int64_t size = saved_.values<int64_t>("replay/size")[0];
  ASSERT_GE(size, 4);
  ASSERT_LT(size, 9);
  expect_refused(with<int64_t>("replay/capacity", {11}),
                 "tensor 'replay/capacity' is 11, but this buffer's capacity is 10");
  expect_refused(with<int64_t>("replay/n_step", {2}), "tensor 'replay/n_step' is 2");
  expect_refused(with<double>("replay/gamma", {0.25}), "tensor 'replay/gamma' is 0.25");
  expect_refused(with<int64_t>("replay/size", {11}), "tensor 'replay/size' is 11, outside [0, 10]");
  expect_refused(with<int64_t>("replay/size", {-1}), "tensor 'replay/size' is -1");
  expect_refused(with<int64_t>("replay/position", {size - 1}),
                 "tensor 'replay/position' is " + std::to_string(size - 1) +
                     ", impossible with size " + std::to_string(size) + " and capacity 10");
  expect_refused(with<int64_t>("replay/position", {10}), "tensor 'replay/position' is 10");
  std::vector<float> discounts = saved_.values<float>("replay/discounts");
  discounts[1] = 0.3f;
  expect_refused(with("replay/discounts", discounts), "tensor 'replay/discounts' element 1 is 0.3");
  std::vector<float> rewards = saved_.values<float>("replay/rewards");
  rewards[2] = std::numeric_limits<float>::infinity();
  expect_refused(with("replay/rewards", rewards), "tensor 'replay/rewards' holds a non-finite");
  std::vector<float> next = saved_.values<float>("replay/next_observations");
  next[0] = std::nanf("");
  expect_refused(with("replay/next_observations", next),
                 "tensor 'replay/next_observations' holds NaN");
  std::vector<int64_t> actions = saved_.values<int64_t>("replay/actions");
  actions[3] = 3;
  expect_refused(with("replay/actions", actions),
                 "tensor 'replay/actions' row 3 is not in the action space Discrete(3)");
  expect_refused(with<int64_t>("replay/pending_count", {1, 3}),
                 "tensor 'replay/pending_count' element 1 is 3, outside [0, 2]");
  std::vector<double> pending_rewards(4, 0.0);
  pending_rewards[3] = 1e300;
  TensorDict huge = with<int64_t>("replay/pending_count", {2, 2});
  huge.insert_or_assign("replay/pending_rewards", Tensor::f64(pending_rewards, {2, 2}));
  expect_refused(huge, "tensor 'replay/pending_rewards' holds a reward that is not finite or too");
  TensorDict bad_pending = with<int64_t>("replay/pending_count", {2, 2});
  bad_pending.insert_or_assign("replay/pending_actions",
                               Tensor::i64(std::vector<int64_t>(4, -1), {2, 2, 1}));
  expect_refused(bad_pending,
                 "tensor 'replay/pending_actions' environment 0 step 0 is not in the action space");
}

TEST(ReplayBuffer, AbsurdCapacityIsRefusedBeforeAllocating) {
  const Space obs = Space::box(-1.0f, 1.0f, {100}), act = Space::box(-1.0f, 1.0f, {4});
  // 1e12 transitions of 824 bytes each.
  EXPECT_ERROR_CONTAINS(ReplayBuffer(obs, act, 1, options(1'000'000'000'000)),
                        "ReplayBuffer: capacity 1000000000000 needs 824000000000464 bytes");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(obs, act, 1, options(1'000'000'000'000)),
                        "more than the limit max_bytes = 17179869184 bytes (16");
  // The byte count itself overflows 64 bits.
  EXPECT_ERROR_CONTAINS(ReplayBuffer(obs, act, 1, options(std::numeric_limits<size_t>::max())),
                        "needs more than 2^64 bytes");
  EXPECT_EQ(ReplayBuffer::memory_needed(obs, act, 1, options(std::numeric_limits<size_t>::max())),
            std::numeric_limits<uint64_t>::max());
  // Many environments times a long window count too.
  ReplayBufferOptions o = options(10, ReplayBufferOptions::kMaxNStep);
  EXPECT_ERROR_CONTAINS(ReplayBuffer(obs, act, std::numeric_limits<size_t>::max() / 2, o),
                        "needs more than 2^64 bytes");
  // A raised limit admits what the default refuses; the estimate is what is allocated.
  o = options(1000);
  EXPECT_EQ(ReplayBuffer::memory_needed(obs, act, 2, o),
            1000u * (2 * 400 + 16 + 8) + 2 * (400 + 16 + 8) + 2 * 2 * sizeof(size_t) + 2 * 12);
  o.max_bytes = 1000;
  EXPECT_ERROR_CONTAINS(ReplayBuffer(obs, act, 2, o), "more than the limit max_bytes = 1000 bytes");
}

TEST(ReplayBuffer, BadOptionsAreNamed) {
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 1, options(0)),
                        "capacity must be at least 1");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 0, options(4)),
                        "num_envs must be at least 1");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 1, options(4, 0)),
                        "n_step is 0, expected 1 to 1000");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 1, options(4, 1001)),
                        "n_step is 1001");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 1, options(4, 1, 1.5)),
                        "gamma is 1.5");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(kScalarBox, kScalarBox, 1, options(4, 1, std::nan(""))),
                        "gamma is nan");
  EXPECT_ERROR_CONTAINS(ReplayBuffer(Space::discrete(1 << 25), kScalarBox, 1, options(4)),
                        "observation space Discrete(33554432) has values beyond +-2^24");
  // The largest exact integers are fine.
  ReplayBuffer ok(Space::multi_discrete({1 << 24, 2}, {0, -(1 << 24)}), kScalarBox, 1, options(4));
  EXPECT_EQ(ok.observation_size(), 2u);
}

TEST(ReplayBuffer, BadStepsAreRefusedBeforeChangingAnything) {
  ReplayBuffer buffer(Space::box(-1.0f, 1.0f, {2}), Space::discrete(2), 2, options(8, 2));
  StepData good(2, 2, 1, true);
  buffer.add(good.step());
  EXPECT_EQ(buffer.pending(0), 1u);

  StepData d = good;
  d.observations.resize(3);
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "observations has 3 elements, expected 4");
  d = good;
  d.float_actions.resize(2);
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "float_actions (integer action space) has 2");
  d = good;
  d.final_observations.clear();
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "final_observations has 0 elements, expected 4");
  d = good;
  d.truncated.resize(1);
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "truncated has 1 elements, expected 2");
  d = good;
  d.rewards[1] = std::nan("");
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "environment 1's reward is nan, not a finite number");
  // A finite reward whose 2-step return would overflow float storage.
  d.rewards[1] = 0.6 * std::numeric_limits<float>::max();
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "whose n-step return fits in a float");
  d = good;
  d.observations[3] = std::nanf("");
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "environment 1's observation holds NaN");
  d = good;
  d.next_observations[0] = std::nanf("");
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "environment 0's observation holds NaN");
  // A NaN in the final observation matters only where the episode ended (other rows of
  // VectorEnv::final_observations() are stale).
  d.next_observations[0] = 0.0f;
  d.final_observations[2] = std::nanf("");
  d.truncated[1] = 1;
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()), "environment 1's observation holds NaN");
  d = good;
  d.int_actions[0] = 2;
  EXPECT_ERROR_CONTAINS(buffer.add(d.step()),
                        "environment 0's action is not in the action space: ");
  EXPECT_EQ(buffer.pending(0), 1u);
  EXPECT_EQ(buffer.pending(1), 1u);
  EXPECT_EQ(buffer.size(), 0u);
  // Stale NaN rows of environments that did not end are fine.
  d = good;
  d.final_observations[0] = std::nanf("");
  buffer.add(d.step());
  EXPECT_EQ(buffer.size(), 2u);

  ReplayBuffer box(kScalarBox, kScalarBox, 1, options(4));
  StepData f(1, 1, 1, false);
  f.float_actions[0] = std::numeric_limits<float>::infinity();
  EXPECT_ERROR_CONTAINS(box.add(f.step()), "environment 0's action is not finite");
}

TEST(ReplayBuffer, AbsurdBatchSizeIsRefused) {
  ReplayBuffer buffer(kScalarBox, kScalarBox, 1, options(4));
  EXPECT_ERROR_CONTAINS(buffer.make_batch(std::numeric_limits<size_t>::max()),
                        "make_batch: batch_size 18446744073709551615 needs more than 2^64 bytes");
  EXPECT_ERROR_CONTAINS(buffer.make_batch(size_t{1} << 40),
                        "more than the limit max_bytes = 17179869184 bytes");
  EXPECT_EQ(buffer.make_batch(256).size(), 256u);
}

TEST(ReplayBuffer, AddingAndSamplingDoNotAllocate) {
  const Space obs = Space::box(-5.0f, 5.0f, {4}), act = Space::multi_discrete({2, 3});
  ReplayBuffer buffer(obs, act, 4, options(64, 3));
  RandomSteps steps(obs, act, 4, 1);
  for (int t = 0; t < 30; ++t) buffer.add(steps.next());  // past the wrap
  ReplayBatch batch = buffer.make_batch(32);
  Rng rng(2);
  std::vector<VectorStep> prepared;
  for (int t = 0; t < 5; ++t) prepared.push_back(steps.next());  // views of one StepData
  testing::AllocationCounter counter;
  for (int t = 0; t < 20; ++t) {
    buffer.add(prepared[static_cast<size_t>(t) % prepared.size()]);
    buffer.sample(rng, batch);
  }
  EXPECT_EQ(counter.count(), 0u);
}

TEST(ReplayBuffer, StoresAVectorEnvironmentsTransitions) {
  // CartPole: every terminated episode gives exactly one discount-0 transition whose
  // next observation is the episode's final observation.
  VectorEnv env("CartPole-v1", 3);
  env.reset(4);
  ReplayBuffer buffer(env.single_observation_space(), env.single_action_space(), 3,
                      options(2000, 1, 0.99));
  Rng rng(8);
  std::vector<float> obs(env.observations().begin(), env.observations().end());
  std::vector<int64_t> actions(3);
  size_t terminated_episodes = 0, steps = 0;
  for (int t = 0; t < 200; ++t) {
    for (int64_t& a : actions) a = static_cast<int64_t>(rng.below(2));
    env.step(std::span<const int64_t>(actions));
    buffer.add({obs,
                actions,
                {},
                env.rewards(),
                env.observations(),
                env.final_observations(),
                env.terminated(),
                env.truncated()});
    for (const EpisodeRecord& r : env.finished_episodes()) terminated_episodes += !r.truncated;
    steps += 3;
    obs.assign(env.observations().begin(), env.observations().end());
  }
  ASSERT_EQ(buffer.size(), steps);
  size_t zero_discounts = 0;
  for (size_t s = 0; s < buffer.size(); ++s) {
    const auto v = buffer.transition(s);
    if (v.discount == 0.0f) {
      ++zero_discounts;
      // Gymnasium's termination: the cart or the pole out of bounds.
      EXPECT_TRUE(std::abs(v.next_observation[0]) > 2.4f ||
                  std::abs(v.next_observation[2]) > 0.2094f)
          << "slot " << s;
    } else {
      EXPECT_EQ(v.discount, 0.99f);
    }
  }
  EXPECT_GT(terminated_episodes, 5u);
  EXPECT_EQ(zero_discounts, terminated_episodes);
}

}  // namespace
}  // namespace cairn
