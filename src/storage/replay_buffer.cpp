#include "cairn/storage/replay_buffer.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "cairn/error.h"
#include "cairn/random/random.h"

namespace cairn {
namespace {

constexpr uint64_t kOverflow = std::numeric_limits<uint64_t>::max();

// a * b and a + b, saturating at kOverflow (which then stays kOverflow).
uint64_t checked_mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? kOverflow : r;
}
uint64_t checked_add(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? kOverflow : r;
}

// Integers beyond 2^24 in magnitude are not all representable as float.
constexpr int64_t kExactFloatInteger = int64_t{1} << 24;

void require_length(size_t got, size_t want, const char* what) {
  if (got != want) {
    throw Error(std::string("ReplayBuffer::add: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

std::string bytes_string(uint64_t bytes) {
  if (bytes == kOverflow) return "more than 2^64 bytes";
  return std::to_string(bytes) + " bytes (" +
         std::to_string(static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << 30)) +
         " GiB)";
}

// Element i of a tensor whose dtype and size the caller has checked, read without
// assuming the bytes are aligned.
template <typename T>
T element(const Tensor& t, size_t i) {
  T v;
  std::memcpy(&v, t.bytes().data() + i * sizeof(T), sizeof(T));
  return v;
}

int64_t as_i64(size_t v) {
  return static_cast<int64_t>(v);
}

// What the buffer accepts, the same for add() and restore_state(), so that every buffer
// that can be saved can be restored.
//
// A reward is storable if an n-step return of such rewards still fits in a float
// (|return| <= n * max |reward| with gamma <= 1); NaN and infinities are not.
bool storable_reward(double reward, size_t n_step) {
  return std::abs(reward) <=
         static_cast<double>(std::numeric_limits<float>::max()) / static_cast<double>(n_step);
}
bool has_nan(std::span<const float> values) {
  for (float v : values) {
    if (std::isnan(v)) return true;
  }
  return false;
}
bool all_finite(std::span<const float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace

uint64_t ReplayBuffer::memory_needed(const Space& observation_space, const Space& action_space,
                                     size_t num_envs, const ReplayBufferOptions& options) {
  const uint64_t obs_bytes = checked_mul(observation_space.size(), sizeof(float));
  const uint64_t act_bytes =
      checked_mul(action_space.size(), action_space.is_integer() ? sizeof(int64_t) : sizeof(float));
  // observation + next observation + action + reward + discount
  const uint64_t per_transition =
      checked_add(checked_add(checked_mul(obs_bytes, 2), act_bytes), sizeof(float) + sizeof(float));
  // observation + action + reward per pending step, plus each window's start and count
  const uint64_t per_pending = checked_add(checked_add(obs_bytes, act_bytes), sizeof(double));
  const uint64_t windows =
      checked_add(checked_mul(checked_mul(num_envs, options.n_step), per_pending),
                  checked_mul(num_envs, 2 * sizeof(size_t)));
  const uint64_t tables =
      checked_mul(checked_add(options.n_step, 1), sizeof(float) + sizeof(double));
  return checked_add(checked_add(checked_mul(options.capacity, per_transition), windows), tables);
}

ReplayBuffer::ReplayBuffer(const Space& observation_space, const Space& action_space,
                           size_t num_envs, const ReplayBufferOptions& options)
    : action_space_(action_space),
      num_envs_(num_envs),
      obs_size_(observation_space.size()),
      act_size_(action_space.size()),
      integer_actions_(action_space.is_integer()),
      options_(options) {
  if (num_envs == 0) throw Error("ReplayBuffer: num_envs must be at least 1");
  if (options.capacity == 0) throw Error("ReplayBuffer: capacity must be at least 1");
  if (options.n_step < 1 || options.n_step > ReplayBufferOptions::kMaxNStep) {
    throw Error("ReplayBuffer: n_step is " + std::to_string(options.n_step) + ", expected 1 to " +
                std::to_string(ReplayBufferOptions::kMaxNStep));
  }
  if (!(options.gamma >= 0.0 && options.gamma <= 1.0)) {
    throw Error("ReplayBuffer: gamma is " + std::to_string(options.gamma) +
                ", expected a number in [0, 1]");
  }
  if (observation_space.is_integer()) {
    for (size_t i = 0; i < observation_space.nvec().size(); ++i) {
      const int64_t lo = observation_space.start()[i];
      const int64_t hi = lo + observation_space.nvec()[i] - 1;
      if (lo < -kExactFloatInteger || hi > kExactFloatInteger) {
        throw Error("ReplayBuffer: observation space " + observation_space.to_string() +
                    " has values beyond +-2^24, which float observations cannot hold exactly");
      }
    }
  }
  const uint64_t needed = memory_needed(observation_space, action_space, num_envs, options);
  if (needed > options.max_bytes) {
    throw Error("ReplayBuffer: capacity " + std::to_string(options.capacity) + " needs " +
                bytes_string(needed) + ", more than the limit max_bytes = " +
                bytes_string(options.max_bytes) + "; lower capacity or raise max_bytes");
  }

  const size_t n = options.n_step;
  gamma_power_.resize(n + 1);
  discount_of_.resize(n + 1);
  gamma_power_[0] = 1.0;
  for (size_t k = 1; k <= n; ++k) gamma_power_[k] = gamma_power_[k - 1] * options.gamma;
  for (size_t k = 0; k <= n; ++k) discount_of_[k] = static_cast<float>(gamma_power_[k]);

  const size_t cap = options.capacity;
  observations_.assign(cap * obs_size_, 0.0f);
  next_observations_.assign(cap * obs_size_, 0.0f);
  if (integer_actions_) {
    int_actions_.assign(cap * act_size_, 0);
  } else {
    float_actions_.assign(cap * act_size_, 0.0f);
  }
  rewards_.assign(cap, 0.0f);
  discounts_.assign(cap, 0.0f);

  pending_start_.assign(num_envs, 0);
  pending_count_.assign(num_envs, 0);
  pending_observations_.assign(num_envs * n * obs_size_, 0.0f);
  if (integer_actions_) {
    pending_int_actions_.assign(num_envs * n * act_size_, 0);
  } else {
    pending_float_actions_.assign(num_envs * n * act_size_, 0.0f);
  }
  pending_rewards_.assign(num_envs * n, 0.0);
}

size_t ReplayBuffer::window_row(size_t env, size_t k) const {
  return env * options_.n_step + (pending_start_[env] + k) % options_.n_step;
}

void ReplayBuffer::write_transition(const float* observation, const void* action, double reward,
                                    float discount, const float* next_observation) {
  const size_t slot = position_;
  std::memcpy(observations_.data() + slot * obs_size_, observation, obs_size_ * sizeof(float));
  std::memcpy(next_observations_.data() + slot * obs_size_, next_observation,
              obs_size_ * sizeof(float));
  if (integer_actions_) {
    std::memcpy(int_actions_.data() + slot * act_size_, action, act_size_ * sizeof(int64_t));
  } else {
    std::memcpy(float_actions_.data() + slot * act_size_, action, act_size_ * sizeof(float));
  }
  rewards_[slot] = static_cast<float>(reward);
  discounts_[slot] = discount;
  position_ = (position_ + 1) % options_.capacity;
  if (size_ < options_.capacity) ++size_;
}

void ReplayBuffer::emit_from_window(size_t env, size_t count, size_t window,
                                    const float* last_observation, bool terminated) {
  for (size_t j = 0; j < count; ++j) {
    // Step j's return over the k = window - j steps to the window's end, computed
    // backwards (Horner): G = r_j + g (r_(j+1) + g (... + g r_(window-1))).
    const size_t k = window - j;
    double ret = 0.0;
    for (size_t m = window; m-- > j;) {
      ret = pending_rewards_[window_row(env, m)] + options_.gamma * ret;
    }
    const size_t row = window_row(env, j);
    const void* action = integer_actions_
                             ? static_cast<const void*>(&pending_int_actions_[row * act_size_])
                             : static_cast<const void*>(&pending_float_actions_[row * act_size_]);
    write_transition(&pending_observations_[row * obs_size_], action, ret,
                     terminated ? 0.0f : discount_of_[k], last_observation);
  }
  pending_start_[env] = (pending_start_[env] + count) % options_.n_step;
  pending_count_[env] -= count;
}

void ReplayBuffer::add(const VectorStep& step) {
  const size_t obs_len = num_envs_ * obs_size_, act_len = num_envs_ * act_size_;
  require_length(step.observations.size(), obs_len, "observations");
  if (integer_actions_) {
    require_length(step.int_actions.size(), act_len, "int_actions");
    require_length(step.float_actions.size(), 0, "float_actions (integer action space)");
  } else {
    require_length(step.float_actions.size(), act_len, "float_actions");
    require_length(step.int_actions.size(), 0, "int_actions (Box action space)");
  }
  require_length(step.rewards.size(), num_envs_, "rewards");
  require_length(step.next_observations.size(), obs_len, "next_observations");
  require_length(step.final_observations.size(), obs_len, "final_observations");
  require_length(step.terminated.size(), num_envs_, "terminated");
  require_length(step.truncated.size(), num_envs_, "truncated");
  if (!step.dropped.empty()) require_length(step.dropped.size(), num_envs_, "dropped");
  auto dropped = [&step](size_t i) { return !step.dropped.empty() && step.dropped[i] != 0; };
  // The message is built only on error: add() does not allocate otherwise.
  auto fail = [](size_t i, const std::string& why) {
    return Error("ReplayBuffer::add: environment " + std::to_string(i) + "'s " + why);
  };
  for (size_t i = 0; i < num_envs_; ++i) {
    if (dropped(i)) {
      if (has_nan(step.observations.subspan(i * obs_size_, obs_size_))) {
        throw fail(i, "observation holds NaN");
      }
      continue;
    }
    if (!storable_reward(step.rewards[i], options_.n_step)) {
      throw fail(i, "reward is " + std::to_string(step.rewards[i]) +
                        ", not a finite number whose n-step return fits in a float");
    }
    const bool ended = step.terminated[i] != 0 || step.truncated[i] != 0;
    if (has_nan(step.observations.subspan(i * obs_size_, obs_size_)) ||
        has_nan((ended ? step.final_observations : step.next_observations)
                    .subspan(i * obs_size_, obs_size_))) {
      throw fail(i, "observation holds NaN");
    }
    if (integer_actions_) {
      const std::string why =
          action_space_.explain_not_contained(step.int_actions.subspan(i * act_size_, act_size_));
      if (!why.empty()) throw fail(i, "action is not in the action space: " + why);
    } else if (!all_finite(step.float_actions.subspan(i * act_size_, act_size_))) {
      throw fail(i, "action is not finite");
    }
  }

  const size_t n = options_.n_step;
  for (size_t i = 0; i < num_envs_; ++i) {
    if (dropped(i)) {
      // The episode ends before the dropped step: truncated at the observation it left.
      const size_t window = pending_count_[i];
      if (window > 0) {
        emit_from_window(i, window, window, &step.observations[i * obs_size_], false);
      }
      continue;
    }
    // Append this step to environment i's window.
    const size_t row = window_row(i, pending_count_[i]);
    std::memcpy(&pending_observations_[row * obs_size_], &step.observations[i * obs_size_],
                obs_size_ * sizeof(float));
    if (integer_actions_) {
      std::memcpy(&pending_int_actions_[row * act_size_], &step.int_actions[i * act_size_],
                  act_size_ * sizeof(int64_t));
    } else {
      std::memcpy(&pending_float_actions_[row * act_size_], &step.float_actions[i * act_size_],
                  act_size_ * sizeof(float));
    }
    pending_rewards_[row] = step.rewards[i];
    const size_t window = ++pending_count_[i];

    const bool terminated = step.terminated[i] != 0;
    if (terminated || step.truncated[i] != 0) {
      // Episode over: every pending step completes with the final observation.
      emit_from_window(i, window, window, &step.final_observations[i * obs_size_], terminated);
    } else if (window == n) {
      emit_from_window(i, 1, window, &step.next_observations[i * obs_size_], false);
    }
  }
}

void ReplayBuffer::clear() {
  position_ = 0;
  size_ = 0;
  std::fill(pending_start_.begin(), pending_start_.end(), 0);
  std::fill(pending_count_.begin(), pending_count_.end(), 0);
}

ReplayBatch ReplayBuffer::make_batch(size_t batch_size) const {
  // A batch row: index, observation, next observation, action, reward, discount.
  const uint64_t row_bytes = checked_add(
      checked_add(checked_mul(obs_size_, 2 * sizeof(float)),
                  checked_mul(act_size_, integer_actions_ ? sizeof(int64_t) : sizeof(float))),
      sizeof(size_t) + 2 * sizeof(float));
  const uint64_t needed = checked_mul(batch_size, row_bytes);
  if (needed > options_.max_bytes) {
    throw Error("ReplayBuffer::make_batch: batch_size " + std::to_string(batch_size) + " needs " +
                bytes_string(needed) +
                ", more than the limit max_bytes = " + bytes_string(options_.max_bytes));
  }
  ReplayBatch b;
  b.indices.assign(batch_size, 0);
  b.observations.assign(batch_size * obs_size_, 0.0f);
  if (integer_actions_) {
    b.int_actions.assign(batch_size * act_size_, 0);
  } else {
    b.float_actions.assign(batch_size * act_size_, 0.0f);
  }
  b.rewards.assign(batch_size, 0.0f);
  b.discounts.assign(batch_size, 0.0f);
  b.next_observations.assign(batch_size * obs_size_, 0.0f);
  return b;
}

void ReplayBuffer::sample_indices(Rng& rng, std::span<size_t> indices) const {
  if (size_ == 0) throw Error("ReplayBuffer::sample: the buffer is empty");
  for (size_t& index : indices) index = static_cast<size_t>(rng.below(size_));
}

void ReplayBuffer::gather(ReplayBatch& batch) const {
  const size_t n = batch.size();
  auto check = [](size_t got, size_t want, const char* what) {
    if (got != want) {
      throw Error(std::string("ReplayBuffer::gather: batch ") + what + " has " +
                  std::to_string(got) + " elements, expected " + std::to_string(want) +
                  " (make the batch with make_batch)");
    }
  };
  check(batch.observations.size(), n * obs_size_, "observations");
  check(batch.next_observations.size(), n * obs_size_, "next_observations");
  check(batch.int_actions.size(), integer_actions_ ? n * act_size_ : 0, "int_actions");
  check(batch.float_actions.size(), integer_actions_ ? 0 : n * act_size_, "float_actions");
  check(batch.rewards.size(), n, "rewards");
  check(batch.discounts.size(), n, "discounts");
  for (size_t b = 0; b < n; ++b) {
    if (batch.indices[b] >= size_) {
      throw Error("ReplayBuffer::gather: index " + std::to_string(batch.indices[b]) +
                  " is not below the buffer's size " + std::to_string(size_));
    }
  }
  for (size_t b = 0; b < n; ++b) {
    const size_t slot = batch.indices[b];
    std::memcpy(&batch.observations[b * obs_size_], &observations_[slot * obs_size_],
                obs_size_ * sizeof(float));
    std::memcpy(&batch.next_observations[b * obs_size_], &next_observations_[slot * obs_size_],
                obs_size_ * sizeof(float));
    if (integer_actions_) {
      std::memcpy(&batch.int_actions[b * act_size_], &int_actions_[slot * act_size_],
                  act_size_ * sizeof(int64_t));
    } else {
      std::memcpy(&batch.float_actions[b * act_size_], &float_actions_[slot * act_size_],
                  act_size_ * sizeof(float));
    }
    batch.rewards[b] = rewards_[slot];
    batch.discounts[b] = discounts_[slot];
  }
}

void ReplayBuffer::sample(Rng& rng, ReplayBatch& batch) const {
  sample_indices(rng, batch.indices);
  gather(batch);
}

ReplayBuffer::TransitionView ReplayBuffer::transition(size_t slot) const {
  if (slot >= size_) {
    throw Error("ReplayBuffer::transition: slot " + std::to_string(slot) +
                " is not below the buffer's size " + std::to_string(size_));
  }
  TransitionView v;
  v.observation = std::span(observations_).subspan(slot * obs_size_, obs_size_);
  if (integer_actions_) {
    v.int_action = std::span(int_actions_).subspan(slot * act_size_, act_size_);
  } else {
    v.float_action = std::span(float_actions_).subspan(slot * act_size_, act_size_);
  }
  v.reward = rewards_[slot];
  v.discount = discounts_[slot];
  v.next_observation = std::span(next_observations_).subspan(slot * obs_size_, obs_size_);
  return v;
}

void ReplayBuffer::save_state(TensorDict& out, const std::string& prefix) const {
  const int64_t size = as_i64(size_), obs = as_i64(obs_size_), act = as_i64(act_size_);
  const size_t n = options_.n_step, w = n - 1;  // a window holds < n steps between add()s
  auto scalar_i64 = [](size_t v) {
    const int64_t x = as_i64(v);
    return Tensor::i64(std::span(&x, 1), {});
  };
  out.insert(prefix + "capacity", scalar_i64(options_.capacity));
  out.insert(prefix + "n_step", scalar_i64(n));
  out.insert(prefix + "gamma", Tensor::f64(std::span(&options_.gamma, 1), {}));
  out.insert(prefix + "position", scalar_i64(position_));
  out.insert(prefix + "size", scalar_i64(size_));
  out.insert(prefix + "observations",
             Tensor::f32(std::span(observations_).first(size_ * obs_size_), {size, obs}));
  out.insert(prefix + "next_observations",
             Tensor::f32(std::span(next_observations_).first(size_ * obs_size_), {size, obs}));
  out.insert(prefix + "actions",
             integer_actions_
                 ? Tensor::i64(std::span(int_actions_).first(size_ * act_size_), {size, act})
                 : Tensor::f32(std::span(float_actions_).first(size_ * act_size_), {size, act}));
  out.insert(prefix + "rewards", Tensor::f32(std::span(rewards_).first(size_), {size}));
  out.insert(prefix + "discounts", Tensor::f32(std::span(discounts_).first(size_), {size}));

  // The windows oldest step first, unused rows zero: the same state always gives the
  // same bytes, whatever the internal ring offsets.
  std::vector<int64_t> count(num_envs_);
  std::vector<float> p_obs(num_envs_ * w * obs_size_, 0.0f), p_float;
  std::vector<int64_t> p_int;
  if (integer_actions_) {
    p_int.assign(num_envs_ * w * act_size_, 0);
  } else {
    p_float.assign(num_envs_ * w * act_size_, 0.0f);
  }
  std::vector<double> p_rew(num_envs_ * w, 0.0);
  for (size_t e = 0; e < num_envs_; ++e) {
    count[e] = as_i64(pending_count_[e]);
    for (size_t k = 0; k < pending_count_[e]; ++k) {
      const size_t from = window_row(e, k), to = e * w + k;
      std::memcpy(&p_obs[to * obs_size_], &pending_observations_[from * obs_size_],
                  obs_size_ * sizeof(float));
      if (integer_actions_) {
        std::memcpy(&p_int[to * act_size_], &pending_int_actions_[from * act_size_],
                    act_size_ * sizeof(int64_t));
      } else {
        std::memcpy(&p_float[to * act_size_], &pending_float_actions_[from * act_size_],
                    act_size_ * sizeof(float));
      }
      p_rew[to] = pending_rewards_[from];
    }
  }
  const int64_t envs = as_i64(num_envs_), wl = as_i64(w);
  out.insert(prefix + "pending_count", Tensor::i64(count, {envs}));
  out.insert(prefix + "pending_observations", Tensor::f32(p_obs, {envs, wl, obs}));
  out.insert(prefix + "pending_actions", integer_actions_ ? Tensor::i64(p_int, {envs, wl, act})
                                                          : Tensor::f32(p_float, {envs, wl, act}));
  out.insert(prefix + "pending_rewards", Tensor::f64(p_rew, {envs, wl}));
}

void ReplayBuffer::restore_state(const TensorDict& in, const std::string& prefix) {
  const std::string& source = in.source();
  auto fail = [&](const std::string& name, const std::string& why) -> Error {
    return Error(source + ": tensor '" + prefix + name + "' " + why);
  };
  auto scalar = [&](const std::string& name) {
    return element<int64_t>(in.expect(prefix + name, DType::i64, {}), 0);
  };

  // Options and ring indices first: they decide the shapes expected below.
  const int64_t capacity = scalar("capacity");
  if (capacity < 0 || static_cast<uint64_t>(capacity) != options_.capacity) {
    throw fail("capacity", "is " + std::to_string(capacity) + ", but this buffer's capacity is " +
                               std::to_string(options_.capacity));
  }
  const int64_t n_step = scalar("n_step");
  if (n_step < 0 || static_cast<uint64_t>(n_step) != options_.n_step) {
    throw fail("n_step", "is " + std::to_string(n_step) + ", but this buffer's n_step is " +
                             std::to_string(options_.n_step));
  }
  const double gamma = element<double>(in.expect(prefix + "gamma", DType::f64, {}), 0);
  if (gamma != options_.gamma) {
    throw fail("gamma", "is " + std::to_string(gamma) + ", but this buffer's gamma is " +
                            std::to_string(options_.gamma));
  }
  const int64_t size = scalar("size"), position = scalar("position");
  if (size < 0 || size > capacity) {
    throw fail("size",
               "is " + std::to_string(size) + ", outside [0, " + std::to_string(capacity) + "]");
  }
  // The ring fills from slot 0, so until it is full the next slot is the size.
  if (position < 0 || position >= capacity || (size < capacity && position != size)) {
    throw fail("position", "is " + std::to_string(position) + ", impossible with size " +
                               std::to_string(size) + " and capacity " + std::to_string(capacity));
  }

  const int64_t obs = as_i64(obs_size_), act = as_i64(act_size_);
  const DType act_dtype = integer_actions_ ? DType::i64 : DType::f32;
  const Tensor& t_obs = in.expect(prefix + "observations", DType::f32, {size, obs});
  const Tensor& t_next = in.expect(prefix + "next_observations", DType::f32, {size, obs});
  const Tensor& t_act = in.expect(prefix + "actions", act_dtype, {size, act});
  const Tensor& t_rew = in.expect(prefix + "rewards", DType::f32, {size});
  const Tensor& t_disc = in.expect(prefix + "discounts", DType::f32, {size});
  const int64_t envs = as_i64(num_envs_), w = as_i64(options_.n_step - 1);
  const Tensor& t_count = in.expect(prefix + "pending_count", DType::i64, {envs});
  const Tensor& t_pobs = in.expect(prefix + "pending_observations", DType::f32, {envs, w, obs});
  const Tensor& t_pact = in.expect(prefix + "pending_actions", act_dtype, {envs, w, act});
  const Tensor& t_prew = in.expect(prefix + "pending_rewards", DType::f64, {envs, w});

  // Values, checked before anything is changed.
  auto check_observations = [&](const Tensor& t, const char* name) {
    for (size_t i = 0; i < static_cast<size_t>(t.numel()); ++i) {
      if (std::isnan(element<float>(t, i))) throw fail(name, "holds NaN");
    }
  };
  auto check_actions = [&](const Tensor& t, const char* name) {
    const size_t rows = act_size_ == 0 ? 0 : static_cast<size_t>(t.numel()) / act_size_;
    if (integer_actions_) {
      std::vector<int64_t> a(act_size_);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t k = 0; k < act_size_; ++k) a[k] = element<int64_t>(t, r * act_size_ + k);
        if (!action_space_.contains(std::span<const int64_t>(a))) {
          throw fail(name, "row " + std::to_string(r) + " is not in the action space " +
                               action_space_.to_string());
        }
      }
    } else {
      for (size_t i = 0; i < static_cast<size_t>(t.numel()); ++i) {
        if (!std::isfinite(element<float>(t, i))) throw fail(name, "holds a non-finite action");
      }
    }
  };
  check_observations(t_obs, "observations");
  check_observations(t_next, "next_observations");
  check_observations(t_pobs, "pending_observations");
  for (size_t i = 0; i < static_cast<size_t>(size); ++i) {
    if (!std::isfinite(element<float>(t_rew, i)))
      throw fail("rewards", "holds a non-finite reward");
    const float d = element<float>(t_disc, i);
    bool possible = d == 0.0f;
    for (size_t k = 1; k <= options_.n_step && !possible; ++k) possible = d == discount_of_[k];
    if (!possible) {
      throw fail("discounts", "element " + std::to_string(i) + " is " + std::to_string(d) +
                                  ", which is neither 0 nor gamma^k for k = 1.." +
                                  std::to_string(options_.n_step));
    }
  }
  for (size_t e = 0; e < num_envs_; ++e) {
    const int64_t c = element<int64_t>(t_count, e);
    if (c < 0 || c > w) {
      throw fail("pending_count", "element " + std::to_string(e) + " is " + std::to_string(c) +
                                      ", outside [0, " + std::to_string(w) + "]");
    }
  }
  for (size_t i = 0; i < static_cast<size_t>(t_prew.numel()); ++i) {
    if (!storable_reward(element<double>(t_prew, i), options_.n_step)) {
      throw fail("pending_rewards", "holds a reward that is not finite or too large for float");
    }
  }

  // Only the pending rows in use hold actions; the rest are zero padding.
  {
    const size_t wn = static_cast<size_t>(w);
    std::vector<int64_t> ia(act_size_);
    for (size_t e = 0; e < num_envs_; ++e) {
      const size_t c = static_cast<size_t>(element<int64_t>(t_count, e));
      for (size_t k = 0; k < c; ++k) {
        const size_t base = (e * wn + k) * act_size_;
        if (integer_actions_) {
          for (size_t j = 0; j < act_size_; ++j) ia[j] = element<int64_t>(t_pact, base + j);
          if (!action_space_.contains(std::span<const int64_t>(ia))) {
            throw fail("pending_actions", "environment " + std::to_string(e) + " step " +
                                              std::to_string(k) + " is not in the action space " +
                                              action_space_.to_string());
          }
        } else {
          for (size_t j = 0; j < act_size_; ++j) {
            if (!std::isfinite(element<float>(t_pact, base + j))) {
              throw fail("pending_actions", "holds a non-finite action");
            }
          }
        }
      }
    }
  }
  check_actions(t_act, "actions");

  // Commit.
  const size_t rows = static_cast<size_t>(size);
  t_obs.copy_to(std::span(observations_).first(rows * obs_size_));
  t_next.copy_to(std::span(next_observations_).first(rows * obs_size_));
  if (integer_actions_) {
    t_act.copy_to(std::span(int_actions_).first(rows * act_size_));
  } else {
    t_act.copy_to(std::span(float_actions_).first(rows * act_size_));
  }
  t_rew.copy_to(std::span(rewards_).first(rows));
  t_disc.copy_to(std::span(discounts_).first(rows));
  size_ = rows;
  position_ = static_cast<size_t>(position);

  const size_t wn = static_cast<size_t>(w), n = options_.n_step;
  for (size_t e = 0; e < num_envs_; ++e) {
    pending_start_[e] = 0;
    pending_count_[e] = static_cast<size_t>(element<int64_t>(t_count, e));
    for (size_t k = 0; k < pending_count_[e]; ++k) {
      const size_t from = e * wn + k, to = e * n + k;
      std::memcpy(&pending_observations_[to * obs_size_],
                  t_pobs.bytes().data() + from * obs_size_ * sizeof(float),
                  obs_size_ * sizeof(float));
      if (integer_actions_) {
        std::memcpy(&pending_int_actions_[to * act_size_],
                    t_pact.bytes().data() + from * act_size_ * sizeof(int64_t),
                    act_size_ * sizeof(int64_t));
      } else {
        std::memcpy(&pending_float_actions_[to * act_size_],
                    t_pact.bytes().data() + from * act_size_ * sizeof(float),
                    act_size_ * sizeof(float));
      }
      pending_rewards_[to] = element<double>(t_prew, from);
    }
  }
}

}  // namespace cairn
