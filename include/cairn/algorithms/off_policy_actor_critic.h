// OffPolicyActorCritic: what SAC and TD3 share on top of the off-policy loop
// (off_policy_algorithm.h, which DQN uses too): a Box action space with finite bounds,
// twin Q critics (twin_critic.h), an actor whose optimiser follows the actor learning
// rate and the critics' the critic rate, and exploration after warm-up by the policy
// head's noise or, when the algorithm chose it (use_ornstein_uhlenbeck_noise), by
// Ornstein-Uhlenbeck noise. The algorithms supply the gradient step (sac.h, td3.h).
//
// Acting after learning_starts: the policy's exploring action (its head draws the noise
// from the action generator), or with Ornstein-Uhlenbeck noise the deterministic action
// plus that noise times the Box's half range, clipped to the bounds (the noise from the
// action generator; an environment's process restarts at 0 when its episode ends).
// Gradient steps see the batch's actions mapped back to [-1, 1]
// (SquashedGaussian::from_bounds), the range the critics and actors work in.
//
// Schedule, non-finite handling and the loop's state: OffPolicyAlgorithm's, with
// "rng/update", "off_policy/vector_steps" and "off_policy/gradient_steps" (attempted
// gradient steps). State besides the loop's: "critics/..." (TwinCritic),
// "exploration/ornstein_uhlenbeck/state" with Ornstein-Uhlenbeck noise
// (ornstein_uhlenbeck_noise.h), plus the algorithm's own (save_update_state).
//
// Thread safety: not thread-safe. train() does not allocate in steady state (apart from
// the returned result).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/algorithms/off_policy_algorithm.h"
#include "cairn/algorithms/off_policy_config.h"
#include "cairn/algorithms/sac_update.h"
#include "cairn/algorithms/twin_critic.h"
#include "cairn/policy/ornstein_uhlenbeck_noise.h"
#include "cairn/policy/policy.h"
#include "cairn/policy/squashed_gaussian.h"

namespace cairn {

class OffPolicyActorCritic : public OffPolicyAlgorithm {
 public:
  ~OffPolicyActorCritic() override;

  TwinCritic& critics() { return *critics_; }
  // The exploration noise process, or nullptr with the policy's own exploration.
  const OrnsteinUhlenbeckNoise* ornstein_uhlenbeck_noise() const {
    return action_noise_ ? &*action_noise_ : nullptr;
  }

 protected:
  // Builds the loop (OffPolicyAlgorithm) with the policy of `policy_options` and the
  // actor actor_spec(observation features, action dimension), the critics and the
  // learning-rate schedules of the actor and critic rates. Every train() reports each of
  // `step_metrics` (NaN when not measured), gradient_steps and replay_size. Throws
  // cairn::Error naming the config key or the space (a Box with finite bounds is
  // required), or when the replay buffer would exceed the memory budget.
  OffPolicyActorCritic(
      std::string name, std::string label, const OffPolicyConfig& config,
      PolicyOptions policy_options,
      const std::function<nn::ModelSpec(nn::Index features, nn::Index actions)>& actor_spec,
      const std::vector<std::string>& step_metrics);

  // `step_metrics` and the totals every train() adds (for metric_names()).
  static std::vector<std::string> with_totals(std::vector<std::string> step_metrics);

  // Explores with Ornstein-Uhlenbeck noise of `options` (one process per environment and
  // action element) instead of the policy head's exploration; for constructors.
  // Throws cairn::Error on invalid options (OrnsteinUhlenbeckNoise).
  void use_ornstein_uhlenbeck_noise(const OrnsteinUhlenbeckOptions& options);

  // One gradient step on `batch` (actions in [-1, 1]), reporting its metrics with
  // accumulate(). Returns false if a loss or gradient was not finite.
  virtual bool actor_critic_step(const TransitionBatchView& batch) = 0;
  // The actor's optimiser, whose rate set_learning_rates() sets.
  virtual nn::Adam<float>& actor_optimizer() = 0;
  virtual void save_update_state(TensorDict& out) const = 0;
  virtual void restore_update_state(const TensorDict& in) = 0;

  size_t action_dim() const { return action_dim_; }

  std::unique_ptr<TwinCritic> critics_;

 private:
  void explore(std::span<const float> observations, Rng& action_rng, std::span<int64_t> int_actions,
               std::span<float> float_actions) override;
  void environments_stepped() override;
  void set_learning_rates(std::span<const double> rates) override;
  bool gradient_step(const OffPolicyBatch& batch) override;
  void add_iteration_metrics(Metrics& metrics) const override;
  void save_algorithm_state(TensorDict& out) const override;
  void restore_algorithm_state(const TensorDict& in) override;

  std::optional<OrnsteinUhlenbeckNoise> action_noise_;
  std::vector<float> noise_;
  SquashedGaussian<float> bounds_;  // to_bounds / from_bounds of the Box
  size_t action_dim_ = 0;
  std::vector<float> squashed_actions_;
};

// The checks restore_state() makes before restoring anything, for
// AlgorithmInfo::check_state: the loop's (check_off_policy_loop_state) and with
// Ornstein-Uhlenbeck noise its state's presence. Throws cairn::Error naming the tensor.
void check_off_policy_state(const TensorDict& in, bool replay_buffer,
                            bool ornstein_uhlenbeck_noise = false);

}  // namespace cairn
