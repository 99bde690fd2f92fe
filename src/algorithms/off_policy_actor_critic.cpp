#include "cairn/algorithms/off_policy_actor_critic.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {
namespace {

constexpr const char* kNoisePrefix = "exploration/ornstein_uhlenbeck/";

OffPolicyAlgorithm::LoopOptions actor_critic_loop(const OffPolicyConfig& c) {
  OffPolicyAlgorithm::LoopOptions loop;
  loop.gradient_steps = c.gradient_steps;  // learning from learning_starts on (>=)
  return loop;
}

}  // namespace

OffPolicyActorCritic::OffPolicyActorCritic(
    std::string name, std::string label_text, const OffPolicyConfig& config,
    PolicyOptions policy_options,
    const std::function<nn::ModelSpec(nn::Index features, nn::Index actions)>& actor_spec,
    const std::vector<std::string>& step_metrics)
    : OffPolicyAlgorithm(
          std::move(name), label_text, config, actor_critic_loop(config), policy_options,
          [&](const Space& obs, const Space& act) {
            try {
              SquashedGaussian<float>::for_action_space(act);  // the bounds' checks
            } catch (const Error& e) {
              throw Error(label_text + " needs a Box action space with finite bounds (" +
                          config.env_id + "): " + e.what());
            }
            return actor_spec(static_cast<nn::Index>(obs.flat_dim()),
                              static_cast<nn::Index>(act.size()));
          },
          {config.actor_learning_rate, config.critic_learning_rate}, step_metrics),
      bounds_(SquashedGaussian<float>::for_action_space(environments().single_action_space())) {
  action_dim_ = environments().single_action_space().size();
  const size_t batch = static_cast<size_t>(config.batch_size);
  const nn::ModelSpec critic_spec = nn::q_critic_spec(
      static_cast<nn::Index>(feature_size() + action_dim_),
      {config.hidden_sizes.begin(), config.hidden_sizes.end()},
      nn::Activation::from_name(config.activation, label() + " config 'activation'"));
  Rng critic_rng = Rng::stream(config.seed, kCriticInit);
  critics_ =
      std::make_unique<TwinCritic>(critic_spec, adam(config.critic_learning_rate), critic_rng);
  critics_->reserve(batch);
  squashed_actions_.resize(batch * action_dim_);
}

OffPolicyActorCritic::~OffPolicyActorCritic() = default;

std::vector<std::string> OffPolicyActorCritic::with_totals(std::vector<std::string> names) {
  names.insert(names.end(), {"gradient_steps", "replay_size"});
  return names;
}

void OffPolicyActorCritic::use_ornstein_uhlenbeck_noise(const OrnsteinUhlenbeckOptions& options) {
  action_noise_.emplace(num_envs(), action_dim_, options);
  noise_.assign(num_envs() * action_dim_, 0.0f);
}

void OffPolicyActorCritic::explore(std::span<const float> observations, Rng& action_rng,
                                   std::span<int64_t> int_actions, std::span<float> float_actions) {
  if (!action_noise_) {
    OffPolicyAlgorithm::explore(observations, action_rng, int_actions, float_actions);
    return;
  }
  // a = clip(mu(s) + x_t * (high - low) / 2, low, high), x_t the Ornstein-Uhlenbeck
  // process (Lillicrap et al. 2016's DDPG exploration, as Stable-Baselines3 adds it).
  policy_->compute_actions(observations, /*explore=*/false, action_rng, {}, float_actions);
  action_noise_->sample(action_rng, noise_);
  const std::vector<float>& low = bounds_.low();
  const std::vector<float>& high = bounds_.high();
  for (size_t i = 0; i < float_actions.size(); ++i) {
    const size_t j = i % action_dim_;
    const float half_range = (high[j] - low[j]) / 2.0f;
    float_actions[i] = std::clamp(float_actions[i] + noise_[i] * half_range, low[j], high[j]);
  }
}

void OffPolicyActorCritic::environments_stepped() {
  if (!action_noise_) return;
  // A new episode starts a new process (Stable-Baselines3's VectorizedActionNoise).
  const VectorEnv& envs = environments();
  for (size_t e = 0; e < num_envs(); ++e)
    if (envs.terminated()[e] || envs.truncated()[e]) action_noise_->reset(e);
}

void OffPolicyActorCritic::set_learning_rates(std::span<const double> rates) {
  actor_optimizer().set_learning_rate(rates[0]);
  critics_->set_learning_rate(rates[1]);
}

bool OffPolicyActorCritic::gradient_step(const OffPolicyBatch& batch) {
  bounds_.from_bounds(batch.replay.float_actions, squashed_actions_);
  const nn::Index rows = batch.features.rows;
  return actor_critic_step({batch.features,
                            {squashed_actions_.data(), rows, static_cast<nn::Index>(action_dim_)},
                            batch.replay.rewards,
                            batch.replay.discounts,
                            batch.next_features});
}

void OffPolicyActorCritic::add_iteration_metrics(Metrics& metrics) const {
  metrics.set("gradient_steps", static_cast<double>(gradient_steps_done()));
}

void OffPolicyActorCritic::save_algorithm_state(TensorDict& out) const {
  critics_->save_state(out, "critics/");
  if (action_noise_) action_noise_->save_state(out, kNoisePrefix);
  save_update_state(out);
}

void OffPolicyActorCritic::restore_algorithm_state(const TensorDict& in) {
  const std::string noise_state = std::string(kNoisePrefix) + "state";
  if (action_noise_ && !in.contains(noise_state)) {
    throw Error(in.source() + ": missing tensor '" + noise_state +
                "' (the config's exploration_noise_type is \"ornstein_uhlenbeck\")");
  }
  if (action_noise_) {
    OrnsteinUhlenbeckNoise noise = *action_noise_;
    noise.restore_state(in, kNoisePrefix);  // checked before anything changes
    *action_noise_ = std::move(noise);
  }
  critics_->restore_state(in, "critics/");
  restore_update_state(in);
}

void check_off_policy_state(const TensorDict& in, bool replay_buffer,
                            bool ornstein_uhlenbeck_noise) {
  check_off_policy_loop_state(in, "rng/update", OffPolicyCounters::kOffPolicy, replay_buffer);
  const std::string noise = std::string(kNoisePrefix) + "state";
  if (ornstein_uhlenbeck_noise && !in.contains(noise)) {
    throw Error(in.source() + ": missing tensor '" + noise +
                "' (the config's exploration_noise_type is \"ornstein_uhlenbeck\")");
  }
}

}  // namespace cairn
