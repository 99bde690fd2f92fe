// The frame every algorithm shares: metrics, counters, the learn loop and evaluation.
#include "cairn/algorithms/algorithm.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "cairn/distributed/communicator.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

nlohmann::json number_or_null(double d) {
  return std::isfinite(d) ? nlohmann::json(d) : nlohmann::json(nullptr);
}

}  // namespace

// --- Metrics ---------------------------------------------------------------------------

void Metrics::set(std::string_view name, double value) {
  for (auto& [n, v] : items_) {
    if (n == name) {
      v = value;
      return;
    }
  }
  items_.emplace_back(std::string(name), value);
}

double Metrics::at(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (n == name) return v;
  }
  throw Error("no metric '" + std::string(name) + "' in this result");
}

bool Metrics::contains(std::string_view name) const {
  for (const auto& item : items_) {
    if (item.first == name) return true;
  }
  return false;
}

nlohmann::json TrainResult::to_json() const {
  nlohmann::json j = {{"iteration", iteration},
                      {"timesteps", timesteps},
                      {"episodes", episodes},
                      {"episodes_this_iter", episodes_this_iter},
                      {"episode_return_mean", number_or_null(episode_return_mean)},
                      {"episode_length_mean", number_or_null(episode_length_mean)},
                      {"learning_rate", learning_rate},
                      {"non_finite_transitions_skipped", non_finite_transitions_skipped},
                      {"non_finite_minibatches_skipped", non_finite_minibatches_skipped},
                      {"steps_per_second", steps_per_second},
                      {"time_elapsed", time_elapsed}};
  for (const auto& [name, value] : metrics.items()) j[name] = number_or_null(value);
  return j;
}

bool StopConditions::met(const TrainResult& r) const {
  return (timesteps && r.timesteps >= *timesteps) || (iterations && r.iteration >= *iterations) ||
         (seconds && r.time_elapsed >= *seconds) ||
         (mean_return && std::isfinite(r.episode_return_mean) &&
          r.episode_return_mean >= *mean_return);
}

nlohmann::json EvaluationResult::to_json() const {
  return {{"episodes", returns.size()}, {"mean_return", mean_return}, {"std_return", std_return},
          {"min_return", min_return},   {"max_return", max_return},   {"mean_length", mean_length}};
}

// --- EpisodeStatistics -------------------------------------------------------------------

EpisodeStatistics::EpisodeStatistics() : returns_(kEpisodes, 0.0), lengths_(kEpisodes, 0.0) {}

void EpisodeStatistics::add(double episode_return, int64_t length) {
  returns_[next_] = episode_return;
  lengths_[next_] = static_cast<double>(length);
  next_ = (next_ + 1) % kEpisodes;
  count_ = std::min(count_ + 1, kEpisodes);
}

namespace {
double mean_of_first(const std::vector<double>& v, size_t n) {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), 0.0) /
         static_cast<double>(n);
}
}  // namespace

double EpisodeStatistics::mean_return() const {
  return mean_of_first(returns_, count_);
}

double EpisodeStatistics::mean_length() const {
  return mean_of_first(lengths_, count_);
}

void EpisodeStatistics::save(TensorDict& out, const std::string& prefix) const {
  out.insert(prefix + "recent_returns", Tensor::f64(returns_, {static_cast<int64_t>(kEpisodes)}));
  out.insert(prefix + "recent_lengths", Tensor::f64(lengths_, {static_cast<int64_t>(kEpisodes)}));
}

void EpisodeStatistics::restore(const TensorDict& in, int64_t next, int64_t count,
                                const std::string& prefix) {
  if (next < 0 || next >= static_cast<int64_t>(kEpisodes) || count < 0 ||
      count > static_cast<int64_t>(kEpisodes)) {
    throw Error(in.source() + ": tensor 'counters' holds an invalid episode ring position");
  }
  const std::vector<int64_t> ring = {static_cast<int64_t>(kEpisodes)};
  in.expect(prefix + "recent_returns", DType::f64, ring).copy_to(std::span<double>(returns_));
  in.expect(prefix + "recent_lengths", DType::f64, ring).copy_to(std::span<double>(lengths_));
  next_ = static_cast<size_t>(next);
  count_ = static_cast<size_t>(count);
}

// --- Algorithm ----------------------------------------------------------------------------

Algorithm::Algorithm(std::string name, std::string label, const AlgorithmConfig& shared)
    : name_(std::move(name)),
      label_(std::move(label)),
      env_id_(shared.env_id),
      env_options_(shared.env_options),
      seed_(shared.seed) {}

Algorithm::~Algorithm() = default;

void Algorithm::require_one_process() const {
  distributed::Communicator& comm = distributed::world();
  if (comm.size() > 1) {
    throw Error(label_ + " does not run distributed (this process is rank " +
                std::to_string(comm.rank()) + " of " + std::to_string(comm.size()) +
                "); only PPO does (docs/distributed.md): run " + label_ + " in one process");
  }
}

std::string Algorithm::where() const {
  return label_ + " iteration " + std::to_string(iteration_);
}

TrainResult Algorithm::begin_iteration() {
  iteration_start_ = seconds_now();
  iteration_start_timesteps_ = timesteps_;
  TrainResult result;
  ++iteration_;
  result.iteration = iteration_;
  // Weights are checked after every update and on restore; this catches a caller who
  // changed them in between, before a NaN can turn into arbitrary actions.
  if (const std::string bad = policy().non_finite_weights(); !bad.empty()) {
    throw Error(where() + ": the policy's weights are not finite (" + bad + ")");
  }
  return result;
}

void Algorithm::episode_finished(TrainResult& result, double episode_return, int64_t length) {
  recent_.add(episode_return, length);
  ++episodes_;
  ++result.episodes_this_iter;
}

const TrainResult& Algorithm::finish_iteration(TrainResult& result) {
  double seconds = seconds_now() - iteration_start_;
  // Distributed: rank 0's clock for every rank, so that results, and the stop decisions
  // taken on them (a time limit included), are the same everywhere.
  distributed::Communicator& comm = distributed::world();
  if (comm.size() > 1) comm.broadcast(std::as_writable_bytes(std::span<double>(&seconds, 1)), 0);
  train_seconds_ += seconds;
  result.timesteps = timesteps_;
  result.episodes = episodes_;
  result.episode_return_mean = recent_.mean_return();
  result.episode_length_mean = recent_.mean_length();
  result.steps_per_second = static_cast<double>(timesteps_ - iteration_start_timesteps_) / seconds;
  result.time_elapsed = train_seconds_;
  last_result_ = result;
  return last_result_;
}

std::vector<TrainResult> Algorithm::learn(
    const StopConditions& stop, const std::function<bool(const TrainResult&)>& on_iteration) {
  if (!stop.timesteps && !stop.iterations && !stop.seconds && !stop.mean_return) {
    throw Error(label_ + "::learn: no stop condition given");
  }
  std::vector<TrainResult> results;
  for (;;) {
    results.push_back(train());
    if (on_iteration && !on_iteration(results.back())) break;
    if (stop.met(results.back())) break;
  }
  return results;
}

EvaluationResult Algorithm::evaluate(int64_t episodes, bool deterministic, uint64_t seed) {
  const std::string who = label_ + "::evaluate";
  if (episodes < 1) {
    throw Error(who + ": episodes must be at least 1, got " + std::to_string(episodes));
  }
  auto env = make(env_id_, env_options_);
  Rng rng = Rng::stream(seed, 7);
  std::vector<float> obs(env->observation_space().size());
  Policy& pi = policy();
  std::vector<double> returns;
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < episodes; ++i) {
    env->reset(std::span<float>(obs), seed + static_cast<uint64_t>(i));
    double ret = 0;
    int64_t len = 0;
    std::vector<float> state = pi.initial_state();  // a recurrent policy's memory
    for (;;) {
      ActionRef a;
      try {
        a = pi.compute_action(obs, state, len == 0, state, !deterministic, rng);
      } catch (const Error& e) {
        throw Error(who + ": " + env_id_ + ", episode " + std::to_string(i) + ", step " +
                    std::to_string(len) + ": " + e.what());
      }
      const StepResult s = env->step(a, obs);
      if (!std::isfinite(s.reward)) {
        throw Error(who + ": " + env_id_ + " returned a non-finite reward (" +
                    nn::non_finite_name(s.reward) + ") at step " + std::to_string(len + 1) +
                    " of episode " + std::to_string(i));
      }
      ret += s.reward;
      ++len;
      if (s.terminated || s.truncated) break;
    }
    returns.push_back(ret);
    lengths.push_back(len);
  }
  return EvaluationResult::of(std::move(returns), std::move(lengths));
}

EvaluationResult EvaluationResult::of(std::vector<double> returns, std::vector<int64_t> lengths) {
  EvaluationResult r;
  r.returns = std::move(returns);
  r.lengths = std::move(lengths);
  if (r.returns.empty()) {
    r.mean_return = r.std_return = r.min_return = r.max_return = r.mean_length =
        std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  const double n = static_cast<double>(r.returns.size());
  r.mean_return = std::accumulate(r.returns.begin(), r.returns.end(), 0.0) / n;
  double var = 0;
  for (double x : r.returns) var += (x - r.mean_return) * (x - r.mean_return);
  r.std_return = std::sqrt(var / n);
  r.min_return = *std::min_element(r.returns.begin(), r.returns.end());
  r.max_return = *std::max_element(r.returns.begin(), r.returns.end());
  r.mean_length =
      static_cast<double>(std::accumulate(r.lengths.begin(), r.lengths.end(), int64_t{0})) / n;
  return r;
}

}  // namespace cairn
