// Policies the export tests export and prove (header-only: only *_test.cpp files are
// compiled). Every policy gets trained-looking parameters: independent normal draws
// scaled by 1/sqrt(fan-in), not the initialisers' values.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/nn/model_spec.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"

namespace cairn::export_testing {

// Kernels [in, out] ~ N(0, (gain / sqrt(in))^2); vectors (biases, gains) ~ N(0, 0.3^2)
// (layer_norm gains around 1); log_std in [-1, 0.5].
inline void randomize(Policy& policy, uint64_t seed, double gain = 1.5) {
  Rng rng(seed);
  auto& model = policy.model();
  for (const nn::TensorInfo& info : model.parameters()) {
    std::span<float> p = model.parameter(info.name);
    const bool is_gain = info.name.size() >= 5 && info.name.ends_with("/gain");
    const double scale =
        info.shape.size() == 2 ? gain / std::sqrt(static_cast<double>(info.shape[0])) : 0.3;
    for (float& v : p) v = static_cast<float>((is_gain ? 1.0 : 0.0) + scale * rng.normal());
  }
  for (float& v : policy.log_std()) v = static_cast<float>(rng.uniform(-1.0, 0.5));
}

// CartPole-v1 shapes: Box(4) observations (two unbounded dims), Discrete(2) actions, the
// PPO default 4 -> 64 -> 64 tanh actor-critic.
inline Space cartpole_observation_space() {
  const float inf = INFINITY;
  return Space::box({-4.8f, -inf, -0.41887903f, -inf}, {4.8f, inf, 0.41887903f, inf}, {4});
}
inline Policy cartpole_policy(uint64_t seed = 1) {
  Policy p(cartpole_observation_space(), Space::discrete(2), nn::ppo_actor_critic(4, 2));
  randomize(p, seed);
  return p;
}

// Pendulum-v1 shapes: Box(3) observations normalised with non-trivial statistics and
// a tight clip, Box([-2, 2]) actions from a Gaussian whose means often leave the bounds.
inline Policy pendulum_policy(uint64_t seed = 2) {
  PolicyOptions options;
  options.normalize_observations = true;
  options.observation_clip = 1.5f;
  Policy p(Space::box({-1, -1, -8}, {1, 1, 8}, {3}), Space::box(-2.0f, 2.0f, {1}),
           nn::ppo_actor_critic(3, 1), options);
  randomize(p, seed, 3.0);
  Rng rng(seed + 100);
  std::vector<float> batch;
  const double mean[3] = {0.3, -0.2, 2.0}, stdev[3] = {0.4, 0.6, 2.5};
  for (int i = 0; i < 500; ++i) {
    for (int k = 0; k < 3; ++k)
      batch.push_back(static_cast<float>(mean[k] + stdev[k] * rng.normal()));
  }
  p.update_observation_statistics(batch);
  return p;
}

// A model using every activation (fused and as layers), layer_norm and concat, with
// parallel branches: trunk -> {a, b}; pi = concat(a, b) -> dense; vf = concat(trunk, b)
// -> dense.
inline nn::ModelSpec every_layer_spec(nn::Index input_size, nn::Index num_dist_inputs) {
  const nlohmann::json j = {
      {"input_size", input_size},
      {"blocks",
       {{{"name", "trunk"},
         {"inputs", {"input"}},
         {"layers",
          {{{"type", "dense"}, {"units", 24}, {"activation", "gelu"}},
           {{"type", "layer_norm"}, {"eps", 1e-3}},
           {{"type", "elu"}, {"alpha", 0.7}},
           {{"type", "dense"}, {"units", 20}, {"activation", "silu"}}}}},
        {{"name", "a"},
         {"inputs", {"trunk"}},
         {"layers",
          {{{"type", "dense"}, {"units", 16}, {"activation", "sigmoid"}},
           {{"type", "tanh"}},
           {{"type", "dense"},
            {"units", 16},
            {"activation", {{"type", "leaky_relu"}, {"negative_slope", 0.2}}}},
           {{"type", "gelu"}}}}},
        {{"name", "b"},
         {"inputs", {"trunk"}},
         {"layers",
          {{{"type", "dense"},
            {"units", 12},
            {"activation", {{"type", "softplus"}, {"beta", 2.0}, {"threshold", 1.5}}}},
           {{"type", "relu"}},
           {{"type", "layer_norm"}},
           {{"type", "leaky_relu"}},
           {{"type", "softplus"}},
           {{"type", "identity"}},
           {{"type", "dense"}, {"units", 12}, {"activation", "relu"}},
           {{"type", "sigmoid"}},
           {{"type", "silu"}},
           {{"type", "dense"}, {"units", 12}, {"activation", {{"type", "elu"}, {"alpha", 1.3}}}}}}},
        {{"name", "pi"},
         {"inputs", {"a", "b"}},
         {"layers", {{{"type", "concat"}}, {{"type", "dense"}, {"units", num_dist_inputs}}}}},
        {{"name", "vf"},
         {"inputs", {"trunk", "b"}},
         {"layers",
          {{{"type", "concat"}},
           {{"type", "dense"}, {"units", 8}, {"activation", "tanh"}},
           {{"type", "dense"}, {"units", 1}}}}}}},
      {"outputs", {"pi", "vf"}}};
  return nn::ModelSpec::from_json(j);
}

// Discrete(7, start 3) observations (one-hot) and MultiDiscrete([3, 4], start [-1, 2])
// actions, on the every-layer model.
inline Policy multi_discrete_policy(uint64_t seed = 3) {
  Policy p(Space::discrete(7, 3), Space::multi_discrete({3, 4}, {-1, 2}), every_layer_spec(7, 7));
  randomize(p, seed);
  return p;
}

// The founding story: SimpleCorridor shapes (Box(0, 5, (1,)), Discrete(2)) and the custom
// 2 x 256 silu actor-critic.
inline Policy founding_story_policy(uint64_t seed = 4) {
  Policy p(Space::box(0.0f, 5.0f, {1}), Space::discrete(2), nn::founding_story_actor_critic(1, 2));
  randomize(p, seed);
  return p;
}

// MultiDiscrete([3, 2], start [1, -1]) observations (one-hot per element), Box actions with
// one bounded and one unbounded dimension, and a shared relu trunk (a layer both heads need).
inline Policy mixed_policy(uint64_t seed = 5) {
  nn::ActorCriticOptions ac;
  ac.shared_trunk = true;
  ac.hidden = {32, 16};
  ac.activation = nn::Activation::relu();
  const float inf = INFINITY;
  Policy p(Space::multi_discrete({3, 2}, {1, -1}), Space::box({-1.0f, -inf}, {1.0f, inf}, {2}),
           nn::ppo_actor_critic(5, 2, ac));
  randomize(p, seed, 2.5);
  return p;
}

// SAC's policy (the squashed_gaussian head): Pendulum-like Box(3) observations, normalised,
// and two action elements with asymmetric bounds, so to_bounds is not the identity. The
// log-std columns start around -1 so exploring draws differ visibly from the mean.
inline Policy squashed_gaussian_policy(uint64_t seed = 6) {
  PolicyOptions options;
  options.head = PolicyHead::kSquashedGaussian;
  options.normalize_observations = true;
  Policy p(Space::box({-1, -1, -8}, {1, 1, 8}, {3}), Space::box({-2.0f, 0.5f}, {2.0f, 3.0f}, {2}),
           nn::squashed_gaussian_actor_spec(3, 2, {32, 32}), options);
  randomize(p, seed, 2.0);
  p.update_observation_statistics(
      std::vector<float>{0.1f, -0.2f, 3.0f, 0.5f, 0.3f, -1.0f, -0.4f, 0.9f, 6.0f});
  return p;
}

// TD3's policy (the deterministic head): Box(4) observations, Box([-1, -3, 0], [1, 2, 10]).
inline Policy deterministic_policy(uint64_t seed = 7) {
  PolicyOptions options;
  options.head = PolicyHead::kDeterministic;
  options.exploration_noise = 0.2;
  Policy p(Space::box(-5.0f, 5.0f, {4}), Space::box({-1.0f, -3.0f, 0.0f}, {1.0f, 2.0f, 10.0f}, {3}),
           nn::deterministic_actor_spec(4, 3, {24, 24}, nn::Activation::tanh()), options);
  randomize(p, seed, 2.0);
  return p;
}

// DQN's policy (the greedy_q head): CartPole observations, Discrete(5, start -2) actions.
inline Policy greedy_q_policy(uint64_t seed = 8) {
  PolicyOptions options;
  options.head = PolicyHead::kGreedyQ;
  Policy p(cartpole_observation_space(), Space::discrete(5, -2), nn::q_network_spec(4, 5, {32, 32}),
           options);
  randomize(p, seed, 2.0);
  return p;
}

// A few hand-picked observations standing in for the policy's recorded example.
inline std::vector<float> example_observations(const Policy& policy) {
  const Space& s = policy.observation_space();
  std::vector<float> obs;
  if (s.is_integer()) {
    for (size_t e = 0; e < s.size(); ++e) obs.push_back(static_cast<float>(s.start()[e]));
    for (size_t e = 0; e < s.size(); ++e) {
      obs.push_back(static_cast<float>(s.start()[e] + s.nvec()[e] - 1));
    }
    return obs;
  }
  for (int row = 0; row < 4; ++row) {
    for (size_t e = 0; e < s.size(); ++e) {
      const float lo = std::isfinite(s.low()[e]) ? s.low()[e] : -3.0f;
      const float hi = std::isfinite(s.high()[e]) ? s.high()[e] : 3.0f;
      obs.push_back(row == 0 ? 0.0f : row == 1 ? lo : row == 2 ? hi : 0.5f * (lo + hi) + 0.1f);
    }
  }
  return obs;
}

}  // namespace cairn::export_testing
