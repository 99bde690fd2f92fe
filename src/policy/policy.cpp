#include "cairn/policy/policy.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/io/text_file.h"
#include "cairn/nn/finite.h"

namespace cairn {

nlohmann::json PolicyOptions::to_json() const {
  return {{"normalize_observations", normalize_observations},
          {"observation_clip", observation_clip},
          {"normalization_epsilon", normalization_epsilon},
          {"log_std_init", log_std_init},
          {"head", to_string(head)},
          {"exploration_noise", exploration_noise},
          {"exploration_epsilon", exploration_epsilon}};
}

namespace {

void check_exploration_noise(double noise, const std::string& where) {
  if (!(std::isfinite(noise) && noise >= 0)) {
    throw Error(where + ": 'exploration_noise' must be a finite number >= 0, got " +
                std::to_string(noise));
  }
}

void check_exploration_epsilon(double epsilon, const std::string& where) {
  if (!(epsilon >= 0 && epsilon <= 1)) {
    throw Error(where + ": 'exploration_epsilon' must be in [0, 1], got " +
                std::to_string(epsilon));
  }
}

}  // namespace

PolicyOptions PolicyOptions::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("policy options: expected a JSON object, got " + json_excerpt(j));
  PolicyOptions o;
  for (const auto& [key, v] : j.items()) {
    if (key == "normalize_observations") {
      if (!v.is_boolean())
        throw Error("policy options: 'normalize_observations' must be true or false");
      o.normalize_observations = v.get<bool>();
    } else if (key == "observation_clip") {
      if (!v.is_number() || !(v.get<double>() > 0)) {
        throw Error("policy options: 'observation_clip' must be a positive number, got " +
                    json_excerpt(v));
      }
      o.observation_clip = v.get<float>();
    } else if (key == "normalization_epsilon") {
      if (!v.is_number() || !(v.get<double>() >= 0)) {
        throw Error("policy options: 'normalization_epsilon' must be a non-negative number");
      }
      o.normalization_epsilon = v.get<double>();
    } else if (key == "log_std_init") {
      if (!v.is_number()) throw Error("policy options: 'log_std_init' must be a number");
      o.log_std_init = v.get<double>();
    } else if (key == "head") {
      if (!v.is_string()) {
        throw Error("policy options: 'head' must be a string, got " + json_excerpt(v));
      }
      try {
        o.head = policy_head_from_string(v.get<std::string>());
      } catch (const Error& e) {
        throw Error(std::string("policy options: 'head': ") + e.what());
      }
    } else if (key == "exploration_noise") {
      if (!v.is_number()) {
        throw Error("policy options: 'exploration_noise' must be a number, got " + json_excerpt(v));
      }
      o.exploration_noise = v.get<double>();
      check_exploration_noise(o.exploration_noise, "policy options");
    } else if (key == "exploration_epsilon") {
      if (!v.is_number()) {
        throw Error("policy options: 'exploration_epsilon' must be a number, got " +
                    json_excerpt(v));
      }
      o.exploration_epsilon = v.get<double>();
      check_exploration_epsilon(o.exploration_epsilon, "policy options");
    } else {
      throw Error("policy options: unknown key '" + key + "'");
    }
  }
  return o;
}

Policy::Policy(Space observation_space, Space action_space, const nn::ModelSpec& spec,
               const PolicyOptions& options, uint64_t seed)
    : observation_space_(std::move(observation_space)),
      action_space_(std::move(action_space)),
      options_(options),
      distribution_(ActionDistribution<float>::for_action_space(action_space_)),
      feature_size_(observation_space_.flat_dim()),
      activation_values_(nn::activation_count(spec)),
      model_(spec) {
  if (static_cast<size_t>(model_.input_size()) != feature_size_) {
    throw Error("Policy: the model's input size is " + std::to_string(model_.input_size()) +
                " but the observation space " + observation_space_.to_string() + " flattens to " +
                std::to_string(feature_size_));
  }
  check_exploration_noise(options_.exploration_noise, "Policy");
  check_exploration_epsilon(options_.exploration_epsilon, "Policy");
  const std::string head = to_string(options_.head);
  const auto output = [&](const char* name) {
    try {
      return model_.output_index(name);
    } catch (const Error& e) {
      throw Error("Policy: the " + head + " head reads the model output \"" + name +
                  "\": " + e.what());
    }
  };
  // `who` needs `want` columns; `why` (may be empty) says what they are.
  const auto require_columns = [&](const char* name, size_t index, size_t want,
                                   const std::string& who, const std::string& why) {
    const auto got = static_cast<size_t>(model_.output_size(index));
    if (got != want) {
      throw Error("Policy: the model's \"" + std::string(name) + "\" output has " +
                  std::to_string(got) + " columns but the " + who + " for " +
                  action_space_.to_string() + " needs " + std::to_string(want) +
                  (why.empty() ? "" : " (" + why + ")"));
    }
  };
  const size_t action_size = action_space_.size();
  switch (options_.head) {
    case PolicyHead::kStochastic:
      pi_output_ = output(kPolicyOutput);
      require_columns(kPolicyOutput, pi_output_, distribution_.num_inputs(),
                      to_string(distribution_.kind()) + " distribution", "");
      vf_output_ = output(kValueOutput);
      if (model_.output_size(vf_output_) != 1) {
        throw Error("Policy: the model's \"vf\" output has " +
                    std::to_string(model_.output_size(vf_output_)) + " columns; it must have 1");
      }
      has_value_ = true;
      break;
    case PolicyHead::kSquashedGaussian:
    case PolicyHead::kDeterministic: {
      try {
        squash_.emplace(SquashedGaussian<float>::for_action_space(action_space_));
      } catch (const Error& e) {
        throw Error(
            "Policy: the " + head +
            " head needs a Box action space with finite bounds and low < high: " + e.what());
      }
      pi_output_ = output(kPolicyOutput);
      if (options_.head == PolicyHead::kSquashedGaussian) {
        require_columns(kPolicyOutput, pi_output_, 2 * action_size, head + " head",
                        "the means, then the log-stds");
      } else {
        require_columns(kPolicyOutput, pi_output_, action_size, head + " head",
                        "one per action element");
      }
      break;
    }
    case PolicyHead::kGreedyQ:
      if (action_space_.kind() != SpaceKind::discrete) {
        throw Error("Policy: the greedy_q head needs a Discrete action space, not " +
                    action_space_.to_string());
      }
      pi_output_ = output(kQOutput);
      require_columns(kQOutput, pi_output_, static_cast<size_t>(action_space_.nvec()[0]),
                      head + " head", "one Q-value per action");
      break;
  }
  if (options_.normalize_observations) {
    if (!observation_space_.is_box()) {
      throw Error("Policy: observation normalisation needs a Box observation space, not " +
                  observation_space_.to_string());
    }
    obs_stats_.emplace(feature_size_, options_.observation_clip, options_.normalization_epsilon);
  }
  if (options_.head == PolicyHead::kStochastic && !distribution_.is_discrete()) {
    log_std_.assign(distribution_.action_dim(), static_cast<float>(options_.log_std_init));
  }
  model_.initialize(seed);
  grow(1);
}

void Policy::grow(size_t batch) {
  if (batch <= capacity_) return;
  // Bounded before allocating: a model spec read from a file may be wide and a batch
  // may be large (forward and backward keep about three floats per activation value).
  const double bytes =
      12.0 * static_cast<double>(batch) * static_cast<double>(activation_values_ + feature_size_);
  if (bytes > static_cast<double>(nn::memory_budget_bytes())) {
    throw Error("Policy: a batch of " + std::to_string(batch) + " observations needs about " +
                std::to_string(bytes / static_cast<double>(1ull << 30)) + " GiB of activations (" +
                std::to_string(activation_values_) +
                " values per row), more than the memory limit of " +
                std::to_string(static_cast<double>(nn::memory_budget_bytes()) /
                               static_cast<double>(1ull << 30)) +
                " GiB");
  }
  capacity_ = batch;
  features_.resize(batch * feature_size_);
  raw_actions_.resize(distribution_.is_discrete() ? 0 : batch * distribution_.action_dim());
  indices_.resize(distribution_.is_discrete() ? batch * distribution_.action_dim() : 0);
  const size_t tanh_values = squash_ ? batch * squash_->action_dim() : 0;
  means_.resize(tanh_values);
  log_stds_.resize(options_.head == PolicyHead::kSquashedGaussian ? tanh_values : 0);
  squashed_.resize(tanh_values);
  eps_.resize(options_.head == PolicyHead::kSquashedGaussian ? tanh_values : 0);
  log_probs_.resize(options_.head == PolicyHead::kSquashedGaussian ? batch : 0);
  action_ints_.resize(action_space_.is_integer() ? action_space_.size() : 0);
  action_floats_.resize(action_space_.is_integer() ? 0 : action_space_.size());
  model_.reserve(static_cast<nn::Index>(batch));
}

void Policy::reserve(size_t batch) {
  grow(batch);
}

size_t Policy::batch_of(std::span<const float> observations, const char* what) const {
  const size_t n = observation_space_.size();
  if (observations.empty() || observations.size() % n != 0) {
    throw Error(std::string("Policy::") + what + ": got " + std::to_string(observations.size()) +
                " observation values; expected a positive multiple of " + std::to_string(n) +
                " for " + observation_space_.to_string());
  }
  return observations.size() / n;
}

void Policy::preprocess(std::span<const float> observations, std::span<float> features) const {
  const size_t batch = batch_of(observations, "preprocess");
  if (features.size() != batch * feature_size_) {
    throw Error("Policy::preprocess: feature buffer has " + std::to_string(features.size()) +
                " values; expected " + std::to_string(batch * feature_size_));
  }
  if (observation_space_.is_box()) {
    const size_t bad = nn::first_non_finite(observations);
    if (bad < observations.size()) {
      const size_t n = observation_space_.size();
      throw Error("Policy: observation " + std::to_string(bad / n) + " element " +
                  std::to_string(bad % n) + " is " + nn::non_finite_name(observations[bad]) +
                  "; observations of " + observation_space_.to_string() + " must be finite");
    }
    if (obs_stats_) {
      obs_stats_->normalize(observations, features);
    } else {
      std::copy(observations.begin(), observations.end(), features.begin());
    }
    return;
  }
  // Integer observations arrive as exact float values; flatten them to one-hot.
  const size_t n = observation_space_.size();
  const auto& nvec = observation_space_.nvec();
  const auto& start = observation_space_.start();
  for (size_t b = 0; b < batch; ++b) {
    float* out = features.data() + b * feature_size_;
    std::fill(out, out + feature_size_, 0.0f);
    size_t offset = 0;
    for (size_t e = 0; e < n; ++e) {
      const float v = observations[b * n + e];
      const double index = static_cast<double>(v) - static_cast<double>(start[e]);
      if (!(index >= 0 && index < static_cast<double>(nvec[e])) || std::floor(index) != index) {
        throw Error("Policy::preprocess: observation " + std::to_string(b) + " element " +
                    std::to_string(e) + " = " + std::to_string(v) + " is not in " +
                    observation_space_.to_string());
      }
      out[offset + static_cast<size_t>(index)] = 1.0f;
      offset += static_cast<size_t>(nvec[e]);
    }
  }
}

void Policy::update_observation_statistics(std::span<const float> observations) {
  if (obs_stats_) obs_stats_->update(observations);
}

void Policy::check_feedforward(const char* what) const {
  if (!is_recurrent()) return;
  throw Error(std::string("Policy::") + what + ": this policy is recurrent (its model carries " +
              std::to_string(state_size()) +
              " values of state per episode); pass each episode's state (initial_state() at the "
              "start of an episode) to the overload that takes one");
}

void Policy::forward(std::span<const float> features, const nn::SequenceInput<float>& sequence) {
  if (features.empty() || features.size() % feature_size_ != 0) {
    throw Error("Policy::forward: got " + std::to_string(features.size()) +
                " feature values; expected a positive multiple of " +
                std::to_string(feature_size_));
  }
  const size_t batch = features.size() / feature_size_;
  model_.forward(nn::MatrixSpan<const float>(features.data(), static_cast<nn::Index>(batch),
                                             static_cast<nn::Index>(feature_size_)),
                 sequence);
}

std::vector<float> Policy::initial_state(size_t batch) const {
  return std::vector<float>(batch * state_size(), 0.0f);
}

void Policy::forward(std::span<const float> features) {
  check_feedforward("forward");
  if (features.empty() || features.size() % feature_size_ != 0) {
    throw Error("Policy::forward: got " + std::to_string(features.size()) +
                " feature values; expected a positive multiple of " +
                std::to_string(feature_size_));
  }
  const size_t batch = features.size() / feature_size_;
  model_.forward(nn::MatrixSpan<const float>(features.data(), static_cast<nn::Index>(batch),
                                             static_cast<nn::Index>(feature_size_)));
}

nn::MatrixSpan<const float> Policy::distribution_inputs() const {
  return model_.output(pi_output_);
}
nn::MatrixSpan<const float> Policy::value_outputs() const {
  if (!has_value_) {
    throw Error("Policy: the " + to_string(options_.head) +
                " head has no value output (only the stochastic head reads \"vf\"; the "
                "critics of SAC, TD3 and DQN belong to the algorithm)");
  }
  return model_.output(vf_output_);
}

const char* Policy::head_output_name() const {
  return options_.head == PolicyHead::kGreedyQ ? kQOutput : kPolicyOutput;
}

size_t Policy::head_output_size() const {
  return static_cast<size_t>(model_.output_size(pi_output_));
}

void Policy::set_exploration_epsilon(double epsilon) {
  check_exploration_epsilon(epsilon, "Policy::set_exploration_epsilon");
  options_.exploration_epsilon = epsilon;
}

void Policy::set_exploration_noise(double noise) {
  check_exploration_noise(noise, "Policy::set_exploration_noise");
  options_.exploration_noise = noise;
}

void Policy::act_squashed(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                          std::span<float> raw) {
  // Each row of "pi" is [means (d), raw log-stds (d)]; SquashedGaussian takes them apart.
  const size_t d = squash_->action_dim();
  const std::span<float> means(means_.data(), batch * d), squashed(squashed_.data(), batch * d);
  for (size_t b = 0; b < batch; ++b) {
    std::copy_n(inputs.data() + b * 2 * d, d, means.data() + b * d);
  }
  if (explore) {
    const std::span<float> log_stds(log_stds_.data(), batch * d);
    for (size_t b = 0; b < batch; ++b) {
      std::copy_n(inputs.data() + b * 2 * d + d, d, log_stds.data() + b * d);
    }
    // u = mean + std * eps, a = tanh(u) (Haarnoja et al. 2018, eq. 11 and appendix C).
    squash_->rsample(means, log_stds, rng, std::span<float>(eps_.data(), batch * d), squashed,
                     std::span<float>(log_probs_.data(), batch));
  } else {
    squash_->deterministic(means, squashed);  // a = tanh(mean)
  }
  squash_->to_bounds(squashed, raw);
}

void Policy::act_deterministic(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                               std::span<float> raw) {
  // a = to_bounds(tanh(mu(s))) (TD3: Fujimoto et al. 2018, with SB3's tanh-squashed actor).
  const size_t d = squash_->action_dim();
  const std::span<float> squashed(squashed_.data(), batch * d);
  squash_->deterministic(inputs, squashed);
  squash_->to_bounds(squashed, raw);
  if (!explore) return;
  // a + N(0, sigma^2), sigma = exploration_noise * (high - low) / 2; clipped by the caller.
  const auto& low = action_space_.low();
  const auto& high = action_space_.high();
  for (size_t i = 0; i < batch * d; ++i) {
    const size_t j = i % d;
    const double sigma = options_.exploration_noise *
                         (static_cast<double>(high[j]) - static_cast<double>(low[j])) / 2.0;
    raw[i] = static_cast<float>(static_cast<double>(raw[i]) + sigma * rng.normal());
  }
}

void Policy::act_greedy(std::span<const float> inputs, size_t batch, bool explore, Rng& rng,
                        std::span<int64_t> indices) const {
  const size_t n = head_output_size();
  for (size_t b = 0; b < batch; ++b) {
    // Epsilon-greedy (Mnih et al. 2015): one uniform draw per row, then the action.
    if (explore && rng.uniform() < options_.exploration_epsilon) {
      indices[b] = static_cast<int64_t>(rng.below(n));
      continue;
    }
    const float* q = inputs.data() + b * n;
    size_t best = 0;
    for (size_t k = 1; k < n; ++k) {
      if (q[k] > q[best]) best = k;  // strict: the first maximum wins ties
    }
    indices[b] = static_cast<int64_t>(best);
  }
}

void Policy::to_env_actions(std::span<const int64_t> indices, std::span<const float> raw,
                            std::span<int64_t> int_actions, std::span<float> float_actions) const {
  const size_t n = action_space_.size();
  if (action_space_.is_integer()) {
    if (int_actions.size() != indices.size() || indices.size() % n != 0) {
      throw Error("Policy: integer action buffer has " + std::to_string(int_actions.size()) +
                  " values; expected " + std::to_string(indices.size()));
    }
    const auto& start = action_space_.start();
    for (size_t i = 0; i < indices.size(); ++i) int_actions[i] = indices[i] + start[i % n];
    return;
  }
  if (float_actions.size() != raw.size() || raw.size() % n != 0) {
    throw Error("Policy: float action buffer has " + std::to_string(float_actions.size()) +
                " values; expected " + std::to_string(raw.size()));
  }
  const auto& low = action_space_.low();
  const auto& high = action_space_.high();
  for (size_t i = 0; i < raw.size(); ++i) {
    float_actions[i] = std::clamp(raw[i], low[i % n], high[i % n]);
  }
}

void Policy::compute_actions(std::span<const float> observations, bool explore, Rng& rng,
                             std::span<int64_t> int_actions, std::span<float> float_actions) {
  check_feedforward("compute_actions");
  const size_t batch = batch_of(observations, "compute_actions");
  grow(batch);
  const std::span<float> features(features_.data(), batch * feature_size_);
  preprocess(observations, features);
  forward(features);
  act(batch, explore, rng, int_actions, float_actions);
}

void Policy::compute_actions(std::span<const float> observations, std::span<const float> state_in,
                             std::span<const uint8_t> episode_starts, std::span<float> state_out,
                             bool explore, Rng& rng, std::span<int64_t> int_actions,
                             std::span<float> float_actions) {
  const size_t batch = batch_of(observations, "compute_actions");
  const size_t s = state_size();
  if (state_in.size() != batch * s || state_out.size() != batch * s) {
    throw Error("Policy::compute_actions: state_in has " + std::to_string(state_in.size()) +
                " and state_out " + std::to_string(state_out.size()) + " values; " +
                std::to_string(batch) + " episode(s) of this policy need " +
                std::to_string(batch * s) + " each (" + std::to_string(s) + " per episode)");
  }
  if (!episode_starts.empty() && episode_starts.size() != batch) {
    throw Error("Policy::compute_actions: " + std::to_string(episode_starts.size()) +
                " episode-start flags for " + std::to_string(batch) +
                " observations (one per observation, or none)");
  }
  grow(batch);
  const std::span<float> features(features_.data(), batch * feature_size_);
  preprocess(observations, features);
  forward(features, nn::SequenceInput<float>{
                        1,
                        nn::MatrixSpan<const float>(state_in.data(), static_cast<nn::Index>(batch),
                                                    static_cast<nn::Index>(s)),
                        episode_starts});
  if (s > 0) {
    const std::span<const float> out = model_.state_out().flat();
    std::copy(out.begin(), out.end(), state_out.begin());
  }
  act(batch, explore, rng, int_actions, float_actions);
}

ActionRef Policy::compute_action(std::span<const float> observation,
                                 std::span<const float> state_in, bool episode_start,
                                 std::span<float> state_out, bool explore, Rng& rng) {
  if (observation.size() != observation_space_.size()) {
    throw Error("Policy::compute_action: the observation has " +
                std::to_string(observation.size()) + " values; " + observation_space_.to_string() +
                " needs " + std::to_string(observation_space_.size()));
  }
  const uint8_t start = episode_start ? 1 : 0;
  compute_actions(observation, state_in, std::span<const uint8_t>(&start, 1), state_out, explore,
                  rng, action_ints_, action_floats_);
  if (action_space_.is_integer()) return {action_ints_, {}};
  return {{}, action_floats_};
}

ActionRef Policy::compute_action(std::span<const float> observation,
                                 std::span<const float> state_in, bool episode_start,
                                 std::span<float> state_out) {
  return compute_action(observation, state_in, episode_start, state_out, false, unused_rng_);
}

void Policy::act(size_t batch, bool explore, Rng& rng, std::span<int64_t> int_actions,
                 std::span<float> float_actions) {
  const std::span<const float> inputs = distribution_inputs().flat();
  switch (options_.head) {
    case PolicyHead::kStochastic:
      break;
    case PolicyHead::kSquashedGaussian:
    case PolicyHead::kDeterministic: {
      const std::span<float> raw(raw_actions_.data(), batch * action_space_.size());
      if (options_.head == PolicyHead::kSquashedGaussian) {
        act_squashed(inputs, batch, explore, rng, raw);
      } else {
        act_deterministic(inputs, batch, explore, rng, raw);
      }
      to_env_actions({}, raw, {}, float_actions);
      return;
    }
    case PolicyHead::kGreedyQ: {
      const std::span<int64_t> idx(indices_.data(), batch);
      act_greedy(inputs, batch, explore, rng, idx);
      to_env_actions(idx, {}, int_actions, {});
      return;
    }
  }
  const size_t k = distribution_.action_dim();
  if (distribution_.is_discrete()) {
    const std::span<int64_t> idx(indices_.data(), batch * k);
    if (explore) {
      distribution_.sample(inputs, {}, rng, idx, {});
    } else {
      distribution_.mode(inputs, idx, {});
    }
    to_env_actions(idx, {}, int_actions, {});
  } else {
    const std::span<float> raw(raw_actions_.data(), batch * k);
    if (explore) {
      distribution_.sample(inputs, log_std_, rng, {}, raw);
    } else {
      distribution_.mode(inputs, {}, raw);
    }
    to_env_actions({}, raw, {}, float_actions);
  }
}

ActionRef Policy::compute_action(std::span<const float> observation, bool explore, Rng& rng) {
  if (observation.size() != observation_space_.size()) {
    throw Error("Policy::compute_action: the observation has " +
                std::to_string(observation.size()) + " values; " + observation_space_.to_string() +
                " needs " + std::to_string(observation_space_.size()));
  }
  compute_actions(observation, explore, rng, action_ints_, action_floats_);
  if (action_space_.is_integer()) return {action_ints_, {}};
  return {{}, action_floats_};
}

ActionRef Policy::compute_action(std::span<const float> observation) {
  return compute_action(observation, false, unused_rng_);
}

std::string Policy::non_finite_weights() const {
  std::string bad = nn::describe_non_finite(model_.flat_parameters(), model_.parameters());
  if (!bad.empty()) return bad;
  const std::vector<nn::TensorInfo> log_std_layout = {
      {"log_std", {static_cast<int64_t>(log_std_.size())}, 0, log_std_.size()}};
  bad = nn::describe_non_finite(std::span<const float>(log_std_), log_std_layout);
  if (!bad.empty() || !obs_stats_) return bad;
  const size_t d = obs_stats_->dim();
  const std::vector<nn::TensorInfo> stats_layout = {
      {"observation_normalizer/mean", {static_cast<int64_t>(d)}, 0, d}};
  bad = nn::describe_non_finite(std::span<const double>(obs_stats_->mean()), stats_layout);
  if (!bad.empty()) return bad;
  const std::vector<nn::TensorInfo> var_layout = {
      {"observation_normalizer/var", {static_cast<int64_t>(d)}, 0, d}};
  bad = nn::describe_non_finite(std::span<const double>(obs_stats_->var()), var_layout);
  if (!bad.empty()) return bad;
  if (!std::isfinite(obs_stats_->count())) {
    return "tensor 'observation_normalizer/count' is " + nn::non_finite_name(obs_stats_->count());
  }
  return "";
}

float Policy::value(std::span<const float> observation) {
  float v = 0.0f;
  values(observation, std::span<float>(&v, 1));
  return v;
}

void Policy::values(std::span<const float> observations, std::span<float> out) {
  const size_t batch = batch_of(observations, "values");
  if (out.size() != batch) {
    throw Error("Policy::values: output has " + std::to_string(out.size()) + " values; expected " +
                std::to_string(batch));
  }
  if (!has_value_) (void)value_outputs();  // throws, naming the head
  check_feedforward("values");
  grow(batch);
  const std::span<float> features(features_.data(), batch * feature_size_);
  preprocess(observations, features);
  forward(features);
  const nn::MatrixSpan<const float> v = value_outputs();
  for (size_t b = 0; b < batch; ++b) out[b] = v.data[b];
}

}  // namespace cairn
