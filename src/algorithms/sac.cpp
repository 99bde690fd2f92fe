#include "cairn/algorithms/sac.h"

#include "cairn/error.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {
namespace {

const SACConfig& validated(const SACConfig& c) {
  c.validate();
  return c;
}

// The actor: "pi" = [means | raw log-stds] of the squashed Gaussian (nn::model_zoo.h).
nn::ModelSpec actor_spec(const SACConfig& c, nn::Index features, nn::Index actions) {
  return nn::squashed_gaussian_actor_spec(
      features, actions, std::vector<nn::Index>(c.hidden_sizes.begin(), c.hidden_sizes.end()),
      nn::Activation::from_name(c.activation, "SAC config 'activation'"));
}

// Averaged over the iteration's gradient steps by OffPolicyActorCritic.
const std::vector<std::string> kStepMetrics = {"critic_loss", "actor_loss", "alpha_loss",
                                               "alpha",       "entropy",    "q_mean"};

PolicyOptions sac_policy_options() {
  PolicyOptions o;
  o.head = PolicyHead::kSquashedGaussian;
  return o;
}

}  // namespace

SAC::SAC(const SACConfig& config)
    : OffPolicyActorCritic(
          "sac", "SAC", validated(config), sac_policy_options(),
          [&config](nn::Index features, nn::Index actions) {
            return actor_spec(config, features, actions);
          },
          kStepMetrics),
      config_(config) {
  SACUpdateSettings s;
  s.autotune = config_.autotune;
  s.alpha = config_.alpha;
  s.initial_alpha = config_.initial_alpha;
  // The paper's heuristic target entropy: -dim(A).
  s.target_entropy = config_.target_entropy.value_or(-static_cast<double>(action_dim()));
  s.tau = config_.tau;
  s.max_grad_norm = config_.max_grad_norm;
  update_ = std::make_unique<SACUpdate>(policy_->model().parameters(), feature_size(), action_dim(),
                                        adam(config_.actor_learning_rate),
                                        adam(config_.alpha_learning_rate), s);
  update_->reserve(static_cast<size_t>(config_.batch_size));
}

SAC::~SAC() = default;

std::vector<std::string> SAC::metric_names() {
  return with_totals(kStepMetrics);
}

bool SAC::actor_critic_step(const TransitionBatchView& batch) {
  // Polyak update of the target critics every target_update_interval gradient steps.
  const bool update_targets = gradient_steps_done() % config_.target_update_interval == 0;
  const SACStepResult r =
      update_->step(policy_->model(), *critics_, batch, update_rng(), update_targets);
  if (!r.finite) return false;
  accumulate("critic_loss", r.critic_loss);
  accumulate("actor_loss", r.actor_loss);
  if (config_.autotune) accumulate("alpha_loss", r.alpha_loss);
  accumulate("alpha", r.alpha);
  accumulate("entropy", r.entropy);
  accumulate("q_mean", r.q_mean);
  return true;
}

nn::Adam<float>& SAC::actor_optimizer() {
  return update_->actor_optimizer();
}

void SAC::save_update_state(TensorDict& out) const {
  update_->save_state(out, "sac/");
}

void SAC::restore_update_state(const TensorDict& in) {
  update_->restore_state(in, "sac/");
}

}  // namespace cairn
