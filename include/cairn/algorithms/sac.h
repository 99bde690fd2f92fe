// SAC: Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
// Applications") with automatic entropy tuning towards target entropy -action_dim, twin
// Q critics with Polyak-averaged targets, and a tanh-squashed Gaussian policy whose
// actions are rescaled to the Box bounds.
//
// The learning loop (acting, replay, learning_starts, train_freq / gradient_steps,
// checkpoints) is OffPolicyActorCritic's (off_policy_actor_critic.h); each gradient step
// is SACUpdate's (sac_update.h, equations named there). The policy is a cairn::Policy
// with the squashed_gaussian head: exploring samples tanh(N(mean, std)), the
// deterministic action is tanh(mean), both rescaled to the bounds.
//
// Metrics (TrainResult::metrics, means over the iteration's gradient steps): critic_loss,
// actor_loss, alpha_loss, alpha, entropy, q_mean; gradient_steps and replay_size (totals).
//
// State besides the loop's: "optimizer/sac/actor/...", "optimizer/sac/alpha/...",
// "sac/log_alpha".
//
// Thread safety: not thread-safe.
#pragma once

#include <memory>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/off_policy_actor_critic.h"
#include "cairn/algorithms/sac_config.h"
#include "cairn/algorithms/sac_update.h"

namespace cairn {

class SAC final : public OffPolicyActorCritic {
 public:
  // Validates the config and builds everything. Throws cairn::Error naming the key, an
  // unknown environment, or an action space that is not a Box with finite bounds.
  explicit SAC(const SACConfig& config);
  ~SAC() override;

  const SACConfig& config() const { return config_; }
  nlohmann::json config_json() const override { return config_.to_json(); }
  const SACUpdate& update() const { return *update_; }
  // The metrics every train() reports, in order.
  static std::vector<std::string> metric_names();

 protected:
  bool actor_critic_step(const TransitionBatchView& batch) override;
  nn::Adam<float>& actor_optimizer() override;
  void save_update_state(TensorDict& out) const override;
  void restore_update_state(const TensorDict& in) override;

 private:
  SACConfig config_;
  std::unique_ptr<SACUpdate> update_;
};

// The registry's entries for "sac" and "td3" (builtin_algorithms.cpp lists them), with
// their presets.
AlgorithmInfo sac_algorithm_info();
AlgorithmInfo td3_algorithm_info();

}  // namespace cairn
