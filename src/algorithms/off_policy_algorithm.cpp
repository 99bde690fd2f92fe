#include "cairn/algorithms/off_policy_algorithm.h"

#include <algorithm>
#include <limits>

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn {
namespace {

constexpr const char* kActionRng = "rng/actions";
constexpr const char* kVectorSteps = "off_policy/vector_steps";
constexpr const char* kGradientSteps = "off_policy/gradient_steps";
constexpr const char* kDQNCounters = "dqn/counters";  // vector steps, applied gradient steps
constexpr const char* kReplayPrefix = "replay/";

}  // namespace

OffPolicyAlgorithm::OffPolicyAlgorithm(
    std::string name, std::string label_text, const ReplayConfig& config, LoopOptions loop,
    PolicyOptions policy_options,
    const std::function<nn::ModelSpec(const Space& obs, const Space& act)>& model_spec,
    const std::vector<double>& learning_rates, const std::vector<std::string>& metric_names)
    : Algorithm(std::move(name), std::move(label_text), config),
      config_(config),
      loop_(loop),
      action_rng_(Rng::stream(config.seed, kActions)),
      update_rng_(Rng::stream(config.seed, kUpdate)) {
  require_one_process();
  num_envs_ = static_cast<size_t>(config_.num_envs);
  envs_ = std::make_unique<VectorEnv>(config_.env_id, num_envs_, config_.env_options,
                                      static_cast<size_t>(config_.num_env_threads));
  envs_->set_non_finite_handling(config_.non_finite);
  const Space& obs_space = envs_->single_observation_space();
  const Space& act_space = envs_->single_action_space();
  const nn::ModelSpec spec = model_spec(obs_space, act_space);
  integer_actions_ = act_space.kind() != SpaceKind::box;
  act_size_ = act_space.size();
  if (!integer_actions_) {
    box_low_ = act_space.low();
    box_high_ = act_space.high();
  }

  policy_options.normalize_observations = config_.normalize_observations;
  policy_options.observation_clip = static_cast<float>(config_.observation_clip);
  policy_ = std::make_unique<Policy>(obs_space, act_space, spec, policy_options,
                                     Rng::stream(config_.seed, kModelInit).next_u64());
  const size_t batch = static_cast<size_t>(config_.batch_size);
  policy_->reserve(std::max(batch, num_envs_));

  for (double lr : learning_rates) {
    lr_schedules_.push_back(config_.anneal_lr
                                ? nn::LrSchedule::linear(lr, 0.0, config_.total_timesteps)
                                : nn::LrSchedule::constant(lr));
  }
  rates_.resize(lr_schedules_.size());

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
  obs_size_ = envs_->observation_size();
  feature_size_ = policy_->feature_size();
  batch_ = replay_->make_batch(batch);
  features_.resize(batch * feature_size_);
  next_features_.resize(batch * feature_size_);
  observations_.resize(num_envs_ * obs_size_);
  (integer_actions_ ? int_actions_.resize(num_envs_ * act_size_)
                    : float_actions_.resize(num_envs_ * act_size_));
  envs_->reset(config_.seed);
  metric_names_ = metric_names;
  metric_sums_.assign(metric_names_.size(), 0.0);
  metric_counts_.assign(metric_names_.size(), 0);
}

OffPolicyAlgorithm::~OffPolicyAlgorithm() = default;

nn::AdamOptions OffPolicyAlgorithm::adam(double lr) const {
  nn::AdamOptions a;
  a.lr = lr;
  a.eps = config_.adam_eps;
  return a;
}

void OffPolicyAlgorithm::restore_policy(std::unique_ptr<Policy> policy, const std::string& source) {
  Algorithm::restore_policy(std::move(policy), source);
  policy_->reserve(std::max(static_cast<size_t>(config_.batch_size), num_envs_));
}

bool OffPolicyAlgorithm::learning_started() const {
  return loop_.learn_after_learning_starts ? timesteps() > config_.learning_starts
                                           : timesteps() >= config_.learning_starts;
}

TrainResult OffPolicyAlgorithm::train() {
  TrainResult result = begin_iteration();
  std::fill(metric_sums_.begin(), metric_sums_.end(), 0.0);
  std::fill(metric_counts_.begin(), metric_counts_.end(), 0);
  for (int64_t t = 0; t < config_.vector_steps_per_iteration(); ++t) {
    act(result);
    ++vector_steps_;
    if (vector_steps_ % config_.train_freq == 0 && learning_started() && replay_->size() > 0) {
      run_gradient_steps(result);
    }
    vector_step_done();
  }
  // Means over the iteration's finite gradient steps (NaN before learning starts).
  for (size_t k = 0; k < metric_names_.size(); ++k) {
    result.metrics.set(metric_names_[k],
                       metric_counts_[k] > 0
                           ? metric_sums_[k] / static_cast<double>(metric_counts_[k])
                           : std::numeric_limits<double>::quiet_NaN());
  }
  add_iteration_metrics(result.metrics);
  result.metrics.set("replay_size", static_cast<double>(replay_->size()));
  result.learning_rate = learning_rate();
  return finish_iteration(result);
}

void OffPolicyAlgorithm::explore(std::span<const float> observations, Rng& action_rng,
                                 std::span<int64_t> int_actions, std::span<float> float_actions) {
  policy_->compute_actions(observations, /*explore=*/true, action_rng, int_actions, float_actions);
}

// One vector step: act, step, record, store.
void OffPolicyAlgorithm::act(TrainResult& result) {
  const std::span<const float> obs = envs_->observations();
  std::copy(obs.begin(), obs.end(), observations_.begin());
  if (loop_.statistics_before_acting) policy_->update_observation_statistics(observations_);
  if (timesteps() < config_.learning_starts) {
    // Uniform random actions fill the buffer first (Stable-Baselines3's learning_starts).
    if (integer_actions_) {
      for (size_t e = 0; e < num_envs_; ++e) {
        envs_->single_action_space().sample(
            action_rng_, std::span<int64_t>(int_actions_).subspan(e * act_size_, act_size_));
      }
    } else {
      for (size_t e = 0; e < num_envs_; ++e)
        for (size_t j = 0; j < act_size_; ++j)
          float_actions_[e * act_size_ + j] =
              static_cast<float>(action_rng_.uniform(box_low_[j], box_high_[j]));
    }
  } else {
    explore(observations_, action_rng_, int_actions_, float_actions_);
  }
  try {
    if (integer_actions_) {
      envs_->step(std::span<const int64_t>(int_actions_));
    } else {
      envs_->step(std::span<const float>(float_actions_));
    }
  } catch (const Error& e) {
    throw Error(
        where() + ", vector step " + std::to_string(vector_steps_) + ": " + e.what() +
        (config_.non_finite == NonFiniteHandling::kError
             ? " (set the " + label() + " config's \"non_finite\" to \"skip\" to drop such data)"
             : ""));
  }
  count_steps(static_cast<int64_t>(num_envs_));
  environments_stepped();
  for (const EpisodeRecord& ep : envs_->finished_episodes())
    episode_finished(result, ep.episode_return, ep.length);
  for (size_t e = 0; e < num_envs_; ++e)
    result.non_finite_transitions_skipped += envs_->skipped()[e];
  if (!loop_.statistics_before_acting) policy_->update_observation_statistics(observations_);
  // The buffer bootstraps truncated episodes from final_observations() and never
  // terminated ones; the rows VectorEnv dropped for non-finite data are not stored.
  try {
    replay_->add({observations_, int_actions_, float_actions_, envs_->rewards(),
                  envs_->observations(), envs_->final_observations(), envs_->terminated(),
                  envs_->truncated(), envs_->skipped()});
  } catch (const Error& e) {
    throw Error(where() + ", vector step " + std::to_string(vector_steps_) + ": " + e.what());
  }
}

void OffPolicyAlgorithm::accumulate(const std::string& name, double value) {
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

void OffPolicyAlgorithm::run_gradient_steps(TrainResult& result) {
  const auto rows = static_cast<nn::Index>(batch_.size());
  const auto cols = static_cast<nn::Index>(feature_size_);
  for (size_t i = 0; i < lr_schedules_.size(); ++i) rates_[i] = lr_schedules_[i](timesteps());
  set_learning_rates(rates_);
  for (int64_t g = 0; g < loop_.gradient_steps; ++g) {
    replay_->sample(update_rng_, batch_);
    policy_->preprocess(batch_.observations, features_);
    policy_->preprocess(batch_.next_observations, next_features_);
    ++gradient_steps_;
    if (gradient_step(
            {batch_, {features_.data(), rows, cols}, {next_features_.data(), rows, cols}})) {
      ++applied_steps_;
      continue;
    }
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

std::vector<float> OffPolicyAlgorithm::example_observations() const {
  const std::span<const float> obs = envs_->observations();
  return {obs.begin(), obs.end()};
}

bool OffPolicyAlgorithm::checkpoint_is_complete() const {
  return config_.checkpoint_replay_buffer && envs_->can_save_state();
}

void OffPolicyAlgorithm::save_state(TensorDict& out) const {
  save_rng_state(action_rng_, kActionRng, out);
  save_rng_state(update_rng_, loop_.update_rng_name, out);
  if (loop_.counters == OffPolicyCounters::kDQN) {
    const int64_t counters[] = {vector_steps_, applied_steps_};
    out.insert(kDQNCounters, Tensor::i64(counters, {2}));
  } else {
    out.insert(kVectorSteps, Tensor::i64(std::span<const int64_t>(&vector_steps_, 1), {}));
    out.insert(kGradientSteps, Tensor::i64(std::span<const int64_t>(&gradient_steps_, 1), {}));
  }
  if (config_.checkpoint_replay_buffer) replay_->save_state(out, kReplayPrefix);
  save_algorithm_state(out);
}

void OffPolicyAlgorithm::restore_state(const TensorDict& in) {
  check_off_policy_loop_state(in, loop_.update_rng_name, loop_.counters,
                              config_.checkpoint_replay_buffer);
  // Read into copies first, so that a bad tensor leaves the run unchanged.
  Rng action_rng = action_rng_, update_rng = update_rng_;
  restore_rng_state(action_rng, kActionRng, in);
  restore_rng_state(update_rng, loop_.update_rng_name, in);
  int64_t vector_steps = 0, attempted = 0, applied = 0;
  if (loop_.counters == OffPolicyCounters::kDQN) {
    int64_t counters[2];
    in.expect(kDQNCounters, DType::i64, {2}).copy_to(std::span<int64_t>(counters));
    vector_steps = counters[0];
    attempted = applied = counters[1];  // DQN keeps the applied count only
  } else {
    in.expect(kVectorSteps, DType::i64, {}).copy_to(std::span<int64_t>(&vector_steps, 1));
    in.expect(kGradientSteps, DType::i64, {}).copy_to(std::span<int64_t>(&attempted, 1));
    applied = attempted;  // SAC and TD3 keep the attempted count only
  }
  restore_algorithm_state(in);
  if (config_.checkpoint_replay_buffer) {
    replay_->restore_state(in, kReplayPrefix);
  } else {
    replay_->clear();  // the run refills it (checkpoint_is_complete() said so)
  }
  action_rng_ = action_rng;
  update_rng_ = update_rng;
  vector_steps_ = vector_steps;
  gradient_steps_ = attempted;
  applied_steps_ = applied;
}

void check_off_policy_loop_state(const TensorDict& in, const char* update_rng_name,
                                 OffPolicyCounters counters, bool replay_buffer) {
  check_rng_state(in, kActionRng);
  check_rng_state(in, update_rng_name);
  if (counters == OffPolicyCounters::kDQN) {
    int64_t c[2];
    in.expect(kDQNCounters, DType::i64, {2}).copy_to(std::span<int64_t>(c));
    if (c[0] < 0 || c[1] < 0)
      throw Error(in.source() + ": tensor '" + kDQNCounters + "' holds a negative count");
  } else {
    for (const char* name : {kVectorSteps, kGradientSteps}) {
      if (in.expect(name, DType::i64, {}).to_vector<int64_t>()[0] < 0)
        throw Error(in.source() + ": tensor '" + name + "' is negative");
    }
  }
  if (replay_buffer) {
    if (!in.contains("replay/size")) {
      throw Error(in.source() +
                  ": missing tensor 'replay/size' (the config's checkpoint_replay_buffer is true)");
    }
    in.expect(std::string(kReplayPrefix) + "size", DType::i64, {});
    in.expect(std::string(kReplayPrefix) + "position", DType::i64, {});
  }
}

}  // namespace cairn
