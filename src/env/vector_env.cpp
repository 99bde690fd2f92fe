#include "cairn/env/vector_env.h"

#include <algorithm>
#include <cmath>

#include "cairn/env/env_registry.h"
#include "cairn/error.h"

namespace cairn {
namespace {

std::vector<std::unique_ptr<Env>> make_copies(const std::string& id, size_t n,
                                              const nlohmann::json& options) {
  if (n == 0) throw Error("VectorEnv: num_envs must be at least 1");
  if (n > kMaxVectorEnvs) {
    throw Error("VectorEnv: num_envs is " + std::to_string(n) + ", more than the limit of " +
                std::to_string(kMaxVectorEnvs));
  }
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(n);
  for (size_t i = 0; i < n; ++i) envs.push_back(make(id, options));
  return envs;
}

}  // namespace

VectorEnv::VectorEnv(const std::string& id, size_t num_envs, const nlohmann::json& options,
                     size_t num_threads)
    : VectorEnv(make_copies(id, num_envs, options), num_threads) {
  id_ = id;
}

VectorEnv::VectorEnv(std::vector<std::unique_ptr<Env>> envs, size_t num_threads)
    : envs_(std::move(envs)) {
  if (envs_.empty()) throw Error("VectorEnv: no environments given");
  if (num_threads == 0) throw Error("VectorEnv: num_threads must be at least 1");
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (!envs_[i]) throw Error("VectorEnv: environment " + std::to_string(i) + " is null");
    if (!(envs_[i]->observation_space() == envs_[0]->observation_space()) ||
        !(envs_[i]->action_space() == envs_[0]->action_space())) {
      throw Error("VectorEnv: environment " + std::to_string(i) +
                  " has different spaces from environment 0");
    }
  }
  const size_t n = envs_.size();
  obs_size_ = single_observation_space().size();
  act_size_ = single_action_space().size();
  observations_.assign(n * obs_size_, 0.0f);
  final_observations_.assign(n * obs_size_, 0.0f);
  rewards_.assign(n, 0.0);
  terminated_.assign(n, 0);
  truncated_.assign(n, 0);
  skipped_.assign(n, 0);
  running_return_.assign(n, 0.0);
  running_length_.assign(n, 0);
  finished_.reserve(n);

  const size_t threads = std::min(num_threads, n);
  for (size_t t = 0; t <= threads; ++t) slice_begin_.push_back(n * t / threads);
  errors_.resize(threads);
  for (size_t w = 1; w < threads; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
}

VectorEnv::~VectorEnv() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void VectorEnv::reset(uint64_t seed) {
  for (size_t i = 0; i < envs_.size(); ++i) {
    const std::span<float> obs = std::span<float>(observations_).subspan(i * obs_size_, obs_size_);
    envs_[i]->reset(obs, seed + i);
    check_observation(i, obs, "at reset");
    running_return_[i] = 0.0;
    running_length_[i] = 0;
    rewards_[i] = 0.0;
    terminated_[i] = truncated_[i] = skipped_[i] = 0;
  }
  finished_.clear();
  was_reset_ = true;
}

void VectorEnv::step(std::span<const int64_t> actions) {
  if (!single_action_space().is_integer()) {
    throw Error("VectorEnv::step: integer actions given, but the action space is " +
                single_action_space().to_string());
  }
  if (actions.size() != envs_.size() * act_size_) {
    throw Error("VectorEnv::step: " + std::to_string(actions.size()) + " actions given; " +
                std::to_string(envs_.size()) + " environments need " +
                std::to_string(envs_.size() * act_size_));
  }
  if (!was_reset_) throw Error("VectorEnv::step: step() called before reset()");
  int_actions_ = actions;
  float_actions_ = {};
  run_parallel();
}

void VectorEnv::step(std::span<const float> actions) {
  if (single_action_space().is_integer()) {
    throw Error("VectorEnv::step: float actions given, but the action space is " +
                single_action_space().to_string());
  }
  if (actions.size() != envs_.size() * act_size_) {
    throw Error("VectorEnv::step: " + std::to_string(actions.size()) + " action values given; " +
                std::to_string(envs_.size()) + " environments need " +
                std::to_string(envs_.size() * act_size_));
  }
  if (!was_reset_) throw Error("VectorEnv::step: step() called before reset()");
  float_actions_ = actions;
  int_actions_ = {};
  run_parallel();
}

std::string VectorEnv::describe(size_t i) const {
  return "environment " + std::to_string(i) + (id_.empty() ? "" : " (" + id_ + ")");
}

void VectorEnv::check_observation(size_t i, std::span<const float> obs, const char* when) const {
  const size_t k = nn::first_non_finite(obs);
  if (k < obs.size()) {
    throw Error("VectorEnv: " + describe(i) + " returned a non-finite observation " + when +
                ": element " + std::to_string(k) + " is " + nn::non_finite_name(obs[k]));
  }
}

void VectorEnv::step_slice(size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    ActionRef action;
    if (!int_actions_.empty()) {
      action.discrete = int_actions_.subspan(i * act_size_, act_size_);
    } else {
      action.continuous = float_actions_.subspan(i * act_size_, act_size_);
    }
    // The step writes into the final-observation row, so that the observation it acted
    // on survives a step that has to be dropped.
    const std::span<float> obs = std::span<float>(observations_).subspan(i * obs_size_, obs_size_);
    const std::span<float> next =
        std::span<float>(final_observations_).subspan(i * obs_size_, obs_size_);
    const StepResult r = envs_[i]->step(action, next);
    skipped_[i] = 0;
    if (!std::isfinite(r.reward) || !nn::all_finite(std::span<const float>(next))) {
      if (non_finite_ == NonFiniteHandling::kError) {
        const std::string when =
            "at step " + std::to_string(running_length_[i] + 1) + " of its episode";
        if (!std::isfinite(r.reward)) {
          throw Error("VectorEnv: " + describe(i) + " returned a non-finite reward (" +
                      nn::non_finite_name(r.reward) + ") " + when);
        }
        check_observation(i, next, when.c_str());
      }
      // Dropped: the episode ends here unrecorded and starts afresh.
      skipped_[i] = 1;
      rewards_[i] = 0.0;
      terminated_[i] = 0;
      truncated_[i] = 1;
      std::copy(obs.begin(), obs.end(), next.begin());
      envs_[i]->reset(obs);
      check_observation(i, obs, "at reset");
      continue;
    }
    rewards_[i] = r.reward;
    terminated_[i] = r.terminated;
    truncated_[i] = r.truncated;
    running_return_[i] += r.reward;
    ++running_length_[i];
    if (r.terminated || r.truncated) {
      envs_[i]->reset(obs);
      check_observation(i, obs, "at reset");
    } else {
      std::copy(next.begin(), next.end(), obs.begin());
    }
  }
}

void VectorEnv::run_parallel() {
  if (workers_.empty()) {
    step_slice(0, envs_.size());
  } else {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++generation_;
      pending_ = workers_.size();
    }
    start_cv_.notify_all();
    try {
      step_slice(slice_begin_[0], slice_begin_[1]);
    } catch (...) {
      errors_[0] = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_ == 0; });
    for (std::exception_ptr& e : errors_) {
      if (e) {
        std::exception_ptr first = e;
        std::fill(errors_.begin(), errors_.end(), nullptr);
        std::rethrow_exception(first);
      }
    }
  }
  collect_episodes();
}

void VectorEnv::worker_loop(size_t worker) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    try {
      step_slice(slice_begin_[worker], slice_begin_[worker + 1]);
    } catch (...) {
      errors_[worker] = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --pending_;
    }
    done_cv_.notify_one();
  }
}

// Sequential, in environment order, so that statistics never depend on thread timing.
void VectorEnv::collect_episodes() {
  finished_.clear();
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (skipped_[i]) {
      running_return_[i] = 0.0;
      running_length_[i] = 0;
    } else if (terminated_[i] || truncated_[i]) {
      finished_.push_back(
          {i, running_return_[i], running_length_[i], truncated_[i] != 0 && terminated_[i] == 0});
      running_return_[i] = 0.0;
      running_length_[i] = 0;
    }
  }
}

}  // namespace cairn
