// The configs of the replay-based off-policy algorithms, one home for their shared keys:
//
//   ReplayConfig      what every replay-based algorithm (DQN, SAC, TD3) has: the iteration
//                     length, the replay buffer, the update schedule and Adam's settings
//                     (OffPolicyAlgorithm, off_policy_algorithm.h, runs the loop they set);
//   OffPolicyConfig   ReplayConfig plus what SAC and TD3 share (actor and critic rates,
//                     Polyak averaging, gradient clipping of each network).
//
// Schedule: one train() call is `steps_per_iteration` environment steps (all
// environments together: steps_per_iteration / num_envs vector steps). Before
// `learning_starts` environment steps the actions are uniform over the action space (no
// updates); from then on, every `train_freq` vector steps the algorithm runs
// `gradient_steps` gradient steps, each on a uniform batch of `batch_size` transitions
// (Stable-Baselines3's train_freq / gradient_steps). DQN differs in when learning starts
// and in gradient_steps -1 (dqn.h). SAC/TD3 targets are Polyak averaged,
// target <- tau * online + (1 - tau) * target, every `target_update_interval` gradient
// steps (TD3: with the delayed actor update instead).
//
// Defaults differ by algorithm (learning_starts, batch_size, train_freq): each config's
// constructor sets its own; the table below holds only names, ranges and JSON forms.
//
// Thread safety: plain values. Allocation: reading and writing allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/config_fields.h"

namespace cairn {

struct ReplayConfig : AlgorithmConfig {
  // Iterations and replay
  int64_t steps_per_iteration = 1000;  // environment steps per train(), all environments
  int64_t buffer_size = 1000000;       // transitions kept
  int64_t learning_starts = 5000;      // environment steps of uniform random actions first
  int64_t batch_size = 256;
  int64_t n_step = 1;  // n-step returns (ReplayBuffer)
  double gamma = 0.99;
  int64_t train_freq = 1;      // vector steps between update phases
  int64_t gradient_steps = 1;  // gradient steps per update phase (DQN: -1 allowed, dqn.h)
  // Adam (a linear decay of every rate to 0 over total_timesteps when anneal_lr)
  bool anneal_lr = false;
  double adam_eps = 1e-8;  // torch.optim.Adam's default, as Stable-Baselines3
  // Whether checkpoints hold the replay buffer (false: smaller files, but resuming is
  // not bit-identical and the checkpoint says so).
  bool checkpoint_replay_buffer = true;

  // Vector steps per iteration (valid once validated).
  int64_t vector_steps_per_iteration() const { return steps_per_iteration / num_envs; }

  bool operator==(const ReplayConfig&) const = default;
};

struct OffPolicyConfig : ReplayConfig {
  OffPolicyConfig() {
    env_id = "Pendulum-v1";
    num_envs = 1;
    total_timesteps = 100000;
    activation = "relu";
    hidden_sizes = {256, 256};
  }
  double tau = 0.005;  // Polyak averaging coefficient of the targets
  double actor_learning_rate = 3e-4;
  double critic_learning_rate = 1e-3;
  // Global-norm gradient clipping of each network (null: none, as the papers)
  std::optional<double> max_grad_norm;

  bool operator==(const OffPolicyConfig&) const = default;
};

namespace replay_config {

// Adds the shared fields of AlgorithmConfig and those of ReplayConfig to a DQN, SAC or
// TD3 table. `gradient_steps_auto`: whether gradient_steps may be -1 (DQN).
template <typename Config>
void add_fields(ConfigFields<Config>& t, bool gradient_steps_auto = false) {
  using C = Config;
  const std::string label = t.label();
  t.add_shared_fields()
      .integer("steps_per_iteration", &C::steps_per_iteration, 1, kMaxNumSteps)
      .integer("buffer_size", &C::buffer_size, 1, int64_t{1} << 40)
      .integer("learning_starts", &C::learning_starts, 0)
      .integer("batch_size", &C::batch_size, 1, kMaxBatchSize)
      .integer("n_step", &C::n_step, 1, 1000)
      .number("gamma", &C::gamma, 0.0, 1.0)
      .integer("train_freq", &C::train_freq, 1, kMaxNumSteps)
      .boolean("anneal_lr", &C::anneal_lr)
      .number("adam_eps", &C::adam_eps, 0.0, 1.0, true)
      .boolean("checkpoint_replay_buffer", &C::checkpoint_replay_buffer);
  if (!gradient_steps_auto) {
    t.integer("gradient_steps", &C::gradient_steps, 1, kMaxNumSteps);
    return;
  }
  t.custom(
      "gradient_steps",
      [label](C& c, const nlohmann::json& v) {
        if (!v.is_number_integer() || (v.get<int64_t>() < 1 && v.get<int64_t>() != -1) ||
            v.get<int64_t>() > kMaxNumSteps) {
          ConfigFields<C>::bad(
              label, "gradient_steps",
              "must be -1 or an integer in [1, " + std::to_string(kMaxNumSteps) + "]", v);
        }
        c.gradient_steps = v.get<int64_t>();
      },
      [](const C& c) { return nlohmann::json(c.gradient_steps); });
}

// The checks across ReplayConfig's fields: steps_per_iteration a multiple of num_envs,
// batch_size at most buffer_size, the size of `networks` networks of hidden_sizes.
// Throws cairn::Error naming the keys.
void validate(const std::string& label, const ReplayConfig& c, int64_t networks);

}  // namespace replay_config

namespace off_policy_config {

// Adds the fields of OffPolicyConfig (ReplayConfig's included) to a SAC or TD3 table.
template <typename Config>
void add_fields(ConfigFields<Config>& t) {
  using C = Config;
  const std::string label = t.label();
  replay_config::add_fields(t);
  t.number("tau", &C::tau, 0.0, 1.0)
      .number("actor_learning_rate", &C::actor_learning_rate, 0.0, 1.0, true)
      .number("critic_learning_rate", &C::critic_learning_rate, 0.0, 1.0, true);
  t.custom(
      "max_grad_norm",
      [label](C& c, const nlohmann::json& v) {
        if (v.is_null()) {
          c.max_grad_norm.reset();
          return;
        }
        if (!v.is_number() || !(v.get<double>() > 0) || !(v.get<double>() <= 1e9))
          ConfigFields<C>::bad(label, "max_grad_norm", "must be a positive number or null", v);
        c.max_grad_norm = v.get<double>();
      },
      [](const C& c) {
        return c.max_grad_norm ? nlohmann::json(*c.max_grad_norm) : nlohmann::json();
      });
}

}  // namespace off_policy_config

}  // namespace cairn
