#include "cairn/algorithms/td3.h"

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {
namespace {

const TD3Config& validated(const TD3Config& c) {
  c.validate();
  return c;
}

// The actor: "pi" = mu(s), squashed by tanh in the policy (nn::model_zoo.h).
nn::ModelSpec actor_spec(const TD3Config& c, nn::Index features, nn::Index actions) {
  return nn::deterministic_actor_spec(
      features, actions, std::vector<nn::Index>(c.hidden_sizes.begin(), c.hidden_sizes.end()),
      nn::Activation::from_name(c.activation, "TD3 config 'activation'"));
}

// Averaged over the iteration's gradient steps (actor_loss: its actor updates).
const std::vector<std::string> kStepMetrics = {"critic_loss", "actor_loss", "q_mean"};

PolicyOptions td3_policy_options(const TD3Config& c) {
  PolicyOptions o;
  o.head = PolicyHead::kDeterministic;
  o.exploration_noise = c.exploration_noise;
  return o;
}

}  // namespace

TD3::TD3(const TD3Config& config)
    : OffPolicyActorCritic(
          "td3", "TD3", validated(config), td3_policy_options(config),
          [&config](nn::Index features, nn::Index actions) {
            return actor_spec(config, features, actions);
          },
          kStepMetrics),
      config_(config) {
  if (config_.exploration_noise_type == "ornstein_uhlenbeck") {
    OrnsteinUhlenbeckOptions ou;  // theta 0.15, dt 0.01 (Stable-Baselines3's defaults)
    ou.sigma = config_.exploration_noise;
    use_ornstein_uhlenbeck_noise(ou);
  }
  TD3UpdateSettings s;
  s.policy_noise = config_.policy_noise;
  s.noise_clip = config_.noise_clip;
  s.tau = config_.tau;
  s.max_grad_norm = config_.max_grad_norm;
  update_ = std::make_unique<TD3Update>(policy_->model().parameters(), feature_size(), action_dim(),
                                        adam(config_.actor_learning_rate), s);
  update_->reserve(static_cast<size_t>(config_.batch_size));
  target_actor_ = std::make_unique<nn::Model<float>>(policy_->model());
  target_actor_->reserve(config_.batch_size);
}

TD3::~TD3() = default;

std::vector<std::string> TD3::metric_names() {
  return with_totals(kStepMetrics);
}

bool TD3::actor_critic_step(const TransitionBatchView& batch) {
  // Delayed policy updates: the actor and the targets every policy_delay critic updates
  // (gradient_steps_done() already counts this step).
  const bool actor_turn = gradient_steps_done() % config_.policy_delay == 0;
  const TD3StepResult r =
      update_->step(policy_->model(), *target_actor_, *critics_, batch, update_rng(), actor_turn);
  if (!r.finite) return false;
  accumulate("critic_loss", r.critic_loss);
  if (actor_turn) accumulate("actor_loss", r.actor_loss);
  accumulate("q_mean", r.q_mean);
  return true;
}

nn::Adam<float>& TD3::actor_optimizer() {
  return update_->actor_optimizer();
}

void TD3::save_update_state(TensorDict& out) const {
  update_->save_state(out, "td3/");
  save_model_parameters(*target_actor_, "td3/target_actor/", out);
}

void TD3::restore_update_state(const TensorDict& in) {
  nn::Model<float> target = *target_actor_;
  restore_model_parameters(target, "td3/target_actor/", in);
  update_->restore_state(in, "td3/");
  *target_actor_ = std::move(target);
}

}  // namespace cairn
