#include "cairn/env/vector_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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
  num_envs_ = envs_.size();
  set_up_threads(num_threads);
}

VectorEnv::VectorEnv(const std::string& id, size_t num_envs, const nlohmann::json& options,
                     size_t num_threads, distributed::Communicator& comm) {
  const size_t ranks = static_cast<size_t>(comm.size());
  if (num_envs < ranks) {
    throw Error("VectorEnv: num_envs is " + std::to_string(num_envs) + ", fewer than the " +
                std::to_string(ranks) +
                " ranks of the distributed run (every rank steps at least one environment)");
  }
  if (num_envs > kMaxVectorEnvs) {
    throw Error("VectorEnv: num_envs is " + std::to_string(num_envs) + ", more than the limit of " +
                std::to_string(kMaxVectorEnvs));
  }
  const distributed::Share share = distributed::share_of(num_envs, comm.rank(), comm.size());
  envs_ = make_copies(id, share.end - share.begin, options);
  id_ = id;
  num_envs_ = num_envs;
  first_ = share.begin;
  if (ranks > 1) {
    comm_ = &comm;
    for (int r = 0; r < comm.size(); ++r) {
      const distributed::Share theirs = distributed::share_of(num_envs, r, comm.size());
      row_bytes_.push_back(theirs.end - theirs.begin);  // rows for now; bytes below
    }
  }
  set_up_threads(num_threads);
}

void VectorEnv::set_up_threads(size_t num_threads) {
  if (num_threads == 0) throw Error("VectorEnv: num_threads must be at least 1");
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (!envs_[i]) throw Error("VectorEnv: environment " + std::to_string(i) + " is null");
    if (!(envs_[i]->observation_space() == envs_[0]->observation_space()) ||
        !(envs_[i]->action_space() == envs_[0]->action_space())) {
      throw Error("VectorEnv: environment " + std::to_string(i) +
                  " has different spaces from environment 0");
    }
  }
  const size_t n = num_envs_;
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
  if (comm_) {
    // One row of gather_rows() per environment: reward, episode return and length, both
    // observations, and the three flags, padded to 8 bytes.
    const size_t row = (3 * 8 + 2 * obs_size_ * sizeof(float) + 3 + 7) / 8 * 8;
    for (size_t& b : row_bytes_) b *= row;
    send_rows_.resize(envs_.size() * row);
    all_rows_.resize(n * row);
  }

  const size_t local = envs_.size();
  const size_t threads = std::min(num_threads, local);
  for (size_t t = 0; t <= threads; ++t) slice_begin_.push_back(local * t / threads);
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
  for (size_t i = 0; i < num_envs_; ++i) {
    running_return_[i] = 0.0;
    running_length_[i] = 0;
    rewards_[i] = 0.0;
    terminated_[i] = truncated_[i] = skipped_[i] = 0;
  }
  for (size_t li = 0; li < envs_.size(); ++li) {
    const size_t i = first_ + li;
    const std::span<float> obs = std::span<float>(observations_).subspan(i * obs_size_, obs_size_);
    envs_[li]->reset(obs, seed + i);
    check_observation(i, obs, "at reset");
  }
  gather_rows();
  finished_.clear();
  was_reset_ = true;
}

Env& VectorEnv::env(size_t i) {
  return const_cast<Env&>(static_cast<const VectorEnv*>(this)->env(i));
}

const Env& VectorEnv::env(size_t i) const {
  if (i < first_ || i >= first_ + envs_.size()) {
    throw Error("VectorEnv::env: environment " + std::to_string(i) +
                (i < num_envs_ ? " is stepped by another rank" : " does not exist") + " (" +
                std::to_string(num_envs_) + " environments)");
  }
  return *envs_[i - first_];
}

// Every rank's rows of the last reset or step, in environment order, into every rank's
// buffers (a no-op in one process).
void VectorEnv::gather_rows() {
  if (!comm_) return;
  const size_t row = all_rows_.size() / num_envs_;
  const size_t obs_bytes = obs_size_ * sizeof(float);
  auto pack = [&](size_t i, std::byte* p) {
    std::memcpy(p, &rewards_[i], 8);
    std::memcpy(p + 8, &running_return_[i], 8);
    std::memcpy(p + 16, &running_length_[i], 8);
    std::memcpy(p + 24, observations_.data() + i * obs_size_, obs_bytes);
    std::memcpy(p + 24 + obs_bytes, final_observations_.data() + i * obs_size_, obs_bytes);
    std::byte* flags = p + 24 + 2 * obs_bytes;
    flags[0] = std::byte{terminated_[i]};
    flags[1] = std::byte{truncated_[i]};
    flags[2] = std::byte{skipped_[i]};
  };
  for (size_t li = 0; li < envs_.size(); ++li) pack(first_ + li, send_rows_.data() + li * row);
  comm_->all_gather(send_rows_, all_rows_, row_bytes_);
  for (size_t i = 0; i < num_envs_; ++i) {
    const std::byte* p = all_rows_.data() + i * row;
    std::memcpy(&rewards_[i], p, 8);
    std::memcpy(&running_return_[i], p + 8, 8);
    std::memcpy(&running_length_[i], p + 16, 8);
    std::memcpy(observations_.data() + i * obs_size_, p + 24, obs_bytes);
    std::memcpy(final_observations_.data() + i * obs_size_, p + 24 + obs_bytes, obs_bytes);
    const std::byte* flags = p + 24 + 2 * obs_bytes;
    terminated_[i] = static_cast<uint8_t>(flags[0]);
    truncated_[i] = static_cast<uint8_t>(flags[1]);
    skipped_[i] = static_cast<uint8_t>(flags[2]);
  }
}

void VectorEnv::step(std::span<const int64_t> actions) {
  if (!single_action_space().is_integer()) {
    throw Error("VectorEnv::step: integer actions given, but the action space is " +
                single_action_space().to_string());
  }
  if (actions.size() != num_envs_ * act_size_) {
    throw Error("VectorEnv::step: " + std::to_string(actions.size()) + " actions given; " +
                std::to_string(num_envs_) + " environments need " +
                std::to_string(num_envs_ * act_size_));
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
  if (actions.size() != num_envs_ * act_size_) {
    throw Error("VectorEnv::step: " + std::to_string(actions.size()) + " action values given; " +
                std::to_string(num_envs_) + " environments need " +
                std::to_string(num_envs_ * act_size_));
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

// Local environments [begin, end) (rows first_ + begin ...).
void VectorEnv::step_slice(size_t begin, size_t end) {
  for (size_t li = begin; li < end; ++li) {
    const size_t i = first_ + li;
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
    const StepResult r = envs_[li]->step(action, next);
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
      envs_[li]->reset(obs);
      check_observation(i, obs, "at reset");
      continue;
    }
    rewards_[i] = r.reward;
    terminated_[i] = r.terminated;
    truncated_[i] = r.truncated;
    running_return_[i] += r.reward;
    ++running_length_[i];
    if (r.terminated || r.truncated) {
      envs_[li]->reset(obs);
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
  gather_rows();
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
  for (size_t i = 0; i < num_envs_; ++i) {
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
