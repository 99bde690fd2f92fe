#include "cairn/algorithms/off_policy_actor_critic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"

namespace cairn {
namespace {

constexpr const char* kNoisePrefix = "exploration/ornstein_uhlenbeck/";

nn::LrSchedule schedule_of(double lr, const OffPolicyConfig& c) {
  return c.anneal_lr ? nn::LrSchedule::linear(lr, 0.0, c.total_timesteps)
                     : nn::LrSchedule::constant(lr);
}

std::vector<nn::Index> hidden_of(const OffPolicyConfig& c) {
  return {c.hidden_sizes.begin(), c.hidden_sizes.end()};
}

}  // namespace

OffPolicyActorCritic::OffPolicyActorCritic(std::string name, std::string label_text,
                                           const OffPolicyConfig& config,
                                           PolicyOptions policy_options,
                                           const nn::ModelSpec& actor_spec,
                                           const std::vector<std::string>& metric_names)
    : Algorithm(std::move(name), std::move(label_text), config),
      config_(config),
      bounds_(1),
      actor_lr_(schedule_of(config.actor_learning_rate, config)),
      critic_lr_(schedule_of(config.critic_learning_rate, config)),
      action_rng_(Rng::stream(config.seed, kActions)),
      update_rng_(Rng::stream(config.seed, kUpdate)) {
  num_envs_ = static_cast<size_t>(config_.num_envs);
  envs_ = std::make_unique<VectorEnv>(config_.env_id, num_envs_, config_.env_options,
                                      static_cast<size_t>(config_.num_env_threads));
  envs_->set_non_finite_handling(config_.non_finite);
  const Space& obs_space = envs_->single_observation_space();
  const Space& act_space = envs_->single_action_space();
  try {
    bounds_ = SquashedGaussian<float>::for_action_space(act_space);
  } catch (const Error& e) {
    throw Error(label() + " needs a Box action space with finite bounds (" + config_.env_id +
                "): " + e.what());
  }
  obs_size_ = envs_->observation_size();
  feature_size_ = obs_space.flat_dim();
  action_dim_ = act_space.size();

  policy_options.normalize_observations = config_.normalize_observations;
  policy_options.observation_clip = static_cast<float>(config_.observation_clip);
  policy_ = std::make_unique<Policy>(obs_space, act_space, actor_spec, policy_options,
                                     Rng::stream(config_.seed, kModelInit).next_u64());
  const size_t batch = static_cast<size_t>(config_.batch_size);
  policy_->reserve(std::max(batch, num_envs_));

  const nn::ModelSpec critic_spec = nn::q_critic_spec(
      static_cast<nn::Index>(feature_size_ + action_dim_), hidden_of(config_),
      nn::Activation::from_name(config_.activation, label() + " config 'activation'"));
  Rng critic_rng = Rng::stream(config_.seed, kCriticInit);
  critics_ =
      std::make_unique<TwinCritic>(critic_spec, adam(config_.critic_learning_rate), critic_rng);
  critics_->reserve(batch);

  ReplayBufferOptions replay;
  replay.capacity = static_cast<size_t>(config_.buffer_size);
  replay.n_step = static_cast<size_t>(config_.n_step);
  replay.gamma = config_.gamma;
  replay.max_bytes = nn::memory_budget_bytes();
  try {
    replay_ = std::make_unique<ReplayBuffer>(obs_space, act_space, num_envs_, replay);
  } catch (const Error& e) {
    throw Error(label() + " config: 'buffer_size' (" + std::to_string(config_.buffer_size) +
                "): " + e.what());
  }
  batch_ = replay_->make_batch(batch);
  features_.resize(batch * feature_size_);
  next_features_.resize(batch * feature_size_);
  squashed_actions_.resize(batch * action_dim_);
  observations_.resize(num_envs_ * obs_size_);
  env_actions_.resize(num_envs_ * action_dim_);
  envs_->reset(config_.seed);
  metric_names_ = metric_names;
  metric_sums_.assign(metric_names_.size(), 0.0);
  metric_counts_.assign(metric_names_.size(), 0);
}

OffPolicyActorCritic::~OffPolicyActorCritic() = default;

void OffPolicyActorCritic::use_ornstein_uhlenbeck_noise(const OrnsteinUhlenbeckOptions& options) {
  action_noise_.emplace(num_envs_, action_dim_, options);
  noise_.assign(num_envs_ * action_dim_, 0.0f);
}

nn::AdamOptions OffPolicyActorCritic::adam(double lr) const {
  nn::AdamOptions a;
  a.lr = lr;
  a.eps = config_.adam_eps;
  return a;
}

TrainResult OffPolicyActorCritic::train() {
  TrainResult result = begin_iteration();
  std::fill(metric_sums_.begin(), metric_sums_.end(), 0.0);
  std::fill(metric_counts_.begin(), metric_counts_.end(), 0);
  const int64_t vector_steps = config_.steps_per_iteration / config_.num_envs;
  for (int64_t t = 0; t < vector_steps; ++t) {
    act(result);
    ++vector_steps_;
    if (timesteps() >= config_.learning_starts && replay_->size() > 0 &&
        vector_steps_ % config_.train_freq == 0) {
      run_gradient_steps(result);
    }
  }
  // Means over the iteration's finite gradient steps (NaN before learning starts).
  for (size_t k = 0; k < metric_names_.size(); ++k) {
    result.metrics.set(metric_names_[k],
                       metric_counts_[k] > 0
                           ? metric_sums_[k] / static_cast<double>(metric_counts_[k])
                           : std::numeric_limits<double>::quiet_NaN());
  }
  result.metrics.set("gradient_steps", static_cast<double>(gradient_steps_));
  result.metrics.set("replay_size", static_cast<double>(replay_->size()));

  result.learning_rate = actor_lr_(timesteps());
  return finish_iteration(result);
}

// One vector step: act, step, record, store.
void OffPolicyActorCritic::act(TrainResult& result) {
  const std::span<const float> obs = envs_->observations();
  std::copy(obs.begin(), obs.end(), observations_.begin());
  if (timesteps() < config_.learning_starts) {
    // Uniform random actions in the Box before learning starts.
    const std::vector<float>& low = bounds_.low();
    const std::vector<float>& high = bounds_.high();
    for (size_t e = 0; e < num_envs_; ++e)
      for (size_t j = 0; j < action_dim_; ++j)
        env_actions_[e * action_dim_ + j] =
            static_cast<float>(action_rng_.uniform(low[j], high[j]));
  } else if (action_noise_) {
    // a = clip(mu(s) + x_t * (high - low) / 2, low, high), x_t the Ornstein-Uhlenbeck
    // process (Lillicrap et al. 2016's DDPG exploration, as Stable-Baselines3 adds it).
    policy_->compute_actions(observations_, /*explore=*/false, action_rng_, {}, env_actions_);
    action_noise_->sample(action_rng_, noise_);
    const std::vector<float>& low = bounds_.low();
    const std::vector<float>& high = bounds_.high();
    for (size_t i = 0; i < env_actions_.size(); ++i) {
      const size_t j = i % action_dim_;
      const float half_range = (high[j] - low[j]) / 2.0f;
      env_actions_[i] = std::clamp(env_actions_[i] + noise_[i] * half_range, low[j], high[j]);
    }
  } else {
    policy_->compute_actions(observations_, /*explore=*/true, action_rng_, {}, env_actions_);
  }
  try {
    envs_->step(std::span<const float>(env_actions_));
  } catch (const Error& e) {
    throw Error(
        where() + ", vector step " + std::to_string(vector_steps_) + ": " + e.what() +
        (config_.non_finite == NonFiniteHandling::kError
             ? " (set the " + label() + " config's \"non_finite\" to \"skip\" to drop such data)"
             : ""));
  }
  count_steps(static_cast<int64_t>(num_envs_));
  if (action_noise_) {
    // A new episode starts a new process (Stable-Baselines3's VectorizedActionNoise).
    for (size_t e = 0; e < num_envs_; ++e)
      if (envs_->terminated()[e] || envs_->truncated()[e]) action_noise_->reset(e);
  }
  for (const EpisodeRecord& ep : envs_->finished_episodes())
    episode_finished(result, ep.episode_return, ep.length);
  for (size_t e = 0; e < num_envs_; ++e)
    result.non_finite_transitions_skipped += envs_->skipped()[e];
  if (config_.normalize_observations) policy_->update_observation_statistics(observations_);
  try {
    replay_->add({observations_,
                  {},
                  env_actions_,
                  envs_->rewards(),
                  envs_->observations(),
                  envs_->final_observations(),
                  envs_->terminated(),
                  envs_->truncated()});
  } catch (const Error& e) {
    throw Error(where() + ", vector step " + std::to_string(vector_steps_) + ": " + e.what());
  }
}

void OffPolicyActorCritic::accumulate(const std::string& name, double value) {
  size_t k = 0;
  while (k < metric_names_.size() && metric_names_[k] != name) ++k;
  if (k == metric_names_.size()) {
    metric_names_.push_back(name);
    metric_sums_.push_back(0.0);
    metric_counts_.push_back(0);
  }
  metric_sums_[k] += value;
  ++metric_counts_[k];
}

void OffPolicyActorCritic::run_gradient_steps(TrainResult& result) {
  const size_t B = batch_.size();
  const auto rows = static_cast<nn::Index>(B);
  set_learning_rates(actor_lr_(timesteps()), critic_lr_(timesteps()));
  for (int64_t g = 0; g < config_.gradient_steps; ++g) {
    replay_->sample(update_rng_, batch_);
    policy_->preprocess(batch_.observations, features_);
    policy_->preprocess(batch_.next_observations, next_features_);
    bounds_.from_bounds(batch_.float_actions, squashed_actions_);
    const TransitionBatchView view{
        {features_.data(), rows, static_cast<nn::Index>(feature_size_)},
        {squashed_actions_.data(), rows, static_cast<nn::Index>(action_dim_)},
        batch_.rewards,
        batch_.discounts,
        {next_features_.data(), rows, static_cast<nn::Index>(feature_size_)}};
    ++gradient_steps_;
    if (gradient_step(view)) continue;
    if (config_.non_finite == NonFiniteHandling::kError) {
      throw Error(where() + ", gradient step " + std::to_string(gradient_steps_) +
                  ": a loss or gradient is not finite (set the " + label() +
                  " config's \"non_finite\" to \"skip\" to drop such minibatches)");
    }
    ++result.non_finite_minibatches_skipped;
  }
  const std::string bad = policy_->non_finite_weights();
  if (!bad.empty()) throw Error(where() + ": the policy's weights are not finite: " + bad);
}

std::vector<float> OffPolicyActorCritic::example_observations() const {
  const std::span<const float> obs = envs_->observations();
  return {obs.begin(), obs.end()};
}

bool OffPolicyActorCritic::checkpoint_is_complete() const {
  return config_.checkpoint_replay_buffer && envs_->can_save_state();
}

void OffPolicyActorCritic::save_state(TensorDict& out) const {
  save_rng_state(action_rng_, "rng/actions", out);
  save_rng_state(update_rng_, "rng/update", out);
  const int64_t counters[] = {vector_steps_, gradient_steps_};
  out.insert("off_policy/vector_steps", Tensor::i64(std::span<const int64_t>(counters, 1), {}));
  out.insert("off_policy/gradient_steps",
             Tensor::i64(std::span<const int64_t>(counters + 1, 1), {}));
  critics_->save_state(out, "critics/");
  if (config_.checkpoint_replay_buffer) replay_->save_state(out, "replay/");
  if (action_noise_) action_noise_->save_state(out, kNoisePrefix);
  save_update_state(out);
}

void OffPolicyActorCritic::restore_state(const TensorDict& in) {
  check_off_policy_state(in, config_.checkpoint_replay_buffer, action_noise_.has_value());
  if (action_noise_) {
    OrnsteinUhlenbeckNoise noise = *action_noise_;
    noise.restore_state(in, kNoisePrefix);  // checked before anything changes
    *action_noise_ = std::move(noise);
  }
  restore_rng_state(action_rng_, "rng/actions", in);
  restore_rng_state(update_rng_, "rng/update", in);
  in.expect("off_policy/vector_steps", DType::i64, {})
      .copy_to(std::span<int64_t>(&vector_steps_, 1));
  in.expect("off_policy/gradient_steps", DType::i64, {})
      .copy_to(std::span<int64_t>(&gradient_steps_, 1));
  critics_->restore_state(in, "critics/");
  restore_update_state(in);
  if (config_.checkpoint_replay_buffer) {
    replay_->restore_state(in, "replay/");
  } else {
    replay_->clear();
  }
}

void check_off_policy_state(const TensorDict& in, bool replay_buffer,
                            bool ornstein_uhlenbeck_noise) {
  check_rng_state(in, "rng/actions");
  check_rng_state(in, "rng/update");
  for (const char* name : {"off_policy/vector_steps", "off_policy/gradient_steps"}) {
    if (in.expect(name, DType::i64, {}).to_vector<int64_t>()[0] < 0)
      throw Error(in.source() + ": tensor '" + name + "' is negative");
  }
  if (replay_buffer && !in.contains("replay/size")) {
    throw Error(in.source() +
                ": missing tensor 'replay/size' (the config's checkpoint_replay_buffer is true)");
  }
  const std::string noise = std::string(kNoisePrefix) + "state";
  if (ornstein_uhlenbeck_noise && !in.contains(noise)) {
    throw Error(in.source() + ": missing tensor '" + noise +
                "' (the config's exploration_noise_type is \"ornstein_uhlenbeck\")");
  }
}

}  // namespace cairn
