// TD3: Twin Delayed DDPG (Fujimoto et al. 2018, "Addressing Function Approximation Error
// in Actor-Critic Methods"): twin critics with clipped double-Q targets, target policy
// smoothing, delayed actor and target updates, Gaussian or Ornstein-Uhlenbeck
// exploration noise.
//
// The learning loop is OffPolicyActorCritic's (off_policy_actor_critic.h); each gradient
// step is TD3Update's (td3_update.h, equations named there). The policy is a
// cairn::Policy with the deterministic head: the action is tanh(mu(s)) rescaled to the
// bounds; exploring adds N(0, (exploration_noise * (high - low) / 2)^2) and clips, or
// with exploration_noise_type "ornstein_uhlenbeck" adds the loop's Ornstein-Uhlenbeck
// process (off_policy_actor_critic.h) of sigma exploration_noise. The
// target actor is a copy of the policy's model, Polyak averaged with the critics.
//
// Metrics: critic_loss, actor_loss (over the steps that updated the actor), q_mean;
// gradient_steps and replay_size.
//
// State besides the loop's: "optimizer/td3/actor/..." and "td3/target_actor/<parameter>".
#pragma once

#include <memory>

#include "cairn/algorithms/off_policy_actor_critic.h"
#include "cairn/algorithms/td3_config.h"
#include "cairn/algorithms/td3_update.h"

namespace cairn {

class TD3 final : public OffPolicyActorCritic {
 public:
  explicit TD3(const TD3Config& config);
  ~TD3() override;

  const TD3Config& config() const { return config_; }
  nlohmann::json config_json() const override { return config_.to_json(); }
  const nn::Model<float>& target_actor() const { return *target_actor_; }
  // The metrics every train() reports, in order.
  static std::vector<std::string> metric_names();

 protected:
  bool actor_critic_step(const TransitionBatchView& batch) override;
  nn::Adam<float>& actor_optimizer() override;
  void save_update_state(TensorDict& out) const override;
  void restore_update_state(const TensorDict& in) override;

 private:
  TD3Config config_;
  std::unique_ptr<TD3Update> update_;
  std::unique_ptr<nn::Model<float>> target_actor_;
};

}  // namespace cairn
