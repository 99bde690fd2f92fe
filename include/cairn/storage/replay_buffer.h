// ReplayBuffer: the off-policy algorithms' (SAC, TD3, DQN) store of past transitions,
// a preallocated ring for a vector of N environments stepped together (cairn/env/vector_env.h).
//
// One stored transition is
//   observation   obs_size floats   (integer observation spaces as exact floats)
//   action        act_size floats (Box) or int64s (Discrete/MultiDiscrete), as the
//                 environment received it (the integer space's start included)
//   reward        float             the k-step discounted return r_0 + g r_1 + ... + g^(k-1)
//   r_(k-1) discount      float             g^k, or 0 if the episode terminated within those k
//   steps next_observation obs_size floats the observation k steps later (the episode's final
//                 observation if it ended within them)
// so that every algorithm's target is the same expression,
//   target = reward + discount * V(next_observation):
// truncation bootstraps from the final observation, termination never does (when an
// environment reports both, termination wins). k is the n-step horizon (options.n_step)
// or fewer steps where an episode ended first.
//
// n-step returns: each environment has a pending window of its last steps. A step whose
// window then holds n entries emits the oldest entry as a transition (k = n); a step
// that ends the episode emits every entry of the window, oldest first, each with the
// steps left to the end (k = n, n-1, ..., 1) and the final observation, then empties the
// window. With n_step == 1 every step is emitted at once. add() emits the transitions
// of environment 0 first, then environment 1, and so on.
//
// The ring holds the latest `capacity` transitions: slot position() is written next and
// the oldest transitions are overwritten once size() == capacity(). Sampling is uniform
// over the stored transitions, with replacement (as Stable-Baselines3 and CleanRL), drawn
// with cairn::Rng::below().
//
// State: save_state() writes everything that determines future behaviour (the stored
// transitions, ring position and size, the pending n-step windows, and the options that
// shaped them) as tensors under a name prefix; restore_state() reads them back exactly,
// treating them as untrusted. A restored buffer continues bit-identically.
//
// Memory: the constructor allocates everything (checked against options.max_bytes first);
// add(), sample_indices(), gather() and sample() do not allocate (except for the message
// of an error they throw).
//
// Thread safety: a plain object. Const methods may run concurrently; anything else needs
// exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/io/safetensors.h"
#include "cairn/space/space.h"

namespace cairn {

class Rng;

struct ReplayBufferOptions {
  // Transitions kept (the ring's length), at least 1.
  size_t capacity = 1'000'000;
  // Steps per return, at least 1 and at most kMaxNStep.
  size_t n_step = 1;
  // The discount g of the returns, in [0, 1].
  double gamma = 0.99;
  // The most memory the buffer may use, checked before anything is allocated; a
  // capacity needing more is refused (the default is 16 GiB).
  uint64_t max_bytes = uint64_t{16} << 30;

  static constexpr size_t kMaxNStep = 1000;
};

// One vector step, as VectorEnv reports it (row i belongs to environment i):
// `observations` were acted on with `int_actions` or `float_actions` (the one matching
// the action space; the other empty); `next_observations` are VectorEnv::observations()
// after the step and `final_observations` its final_observations(), read only for the
// rows of episodes that ended (terminated[i] or truncated[i] non-zero). `dropped` (empty,
// or one flag per environment: VectorEnv::skipped()) marks steps VectorEnv dropped for
// non-finite data: such a row is not stored and not checked; its environment's episode
// ends before it, so the steps pending in its n-step window are emitted as truncated at
// the observation the dropped step was taken from (`observations` row i).
struct VectorStep {
  std::span<const float> observations;
  std::span<const int64_t> int_actions;
  std::span<const float> float_actions;
  std::span<const double> rewards;
  std::span<const float> next_observations;
  std::span<const float> final_observations;
  std::span<const uint8_t> terminated;
  std::span<const uint8_t> truncated;
  std::span<const uint8_t> dropped;
};

// A batch of transitions in caller-owned, preallocated storage (ReplayBuffer::make_batch).
// Row b of each array is transition indices[b]; of the action arrays, the one matching
// the action space has size() * act_size elements and the other is empty.
struct ReplayBatch {
  std::vector<size_t> indices;
  std::vector<float> observations;
  std::vector<int64_t> int_actions;
  std::vector<float> float_actions;
  std::vector<float> rewards;
  std::vector<float> discounts;
  std::vector<float> next_observations;

  size_t size() const { return indices.size(); }
};

class ReplayBuffer {
 public:
  // A buffer for `num_envs` environments with these spaces. Throws cairn::Error naming
  // the option if num_envs is 0, capacity is 0, n_step is outside [1, kMaxNStep], gamma
  // is outside [0, 1], the memory needed (computed without overflow) exceeds max_bytes,
  // or an integer observation space has values beyond +-2^24 (not exact as float).
  ReplayBuffer(const Space& observation_space, const Space& action_space, size_t num_envs,
               const ReplayBufferOptions& options);

  // Bytes a buffer with these arguments would allocate, or UINT64_MAX if that does not
  // fit in 64 bits. Does not allocate.
  static uint64_t memory_needed(const Space& observation_space, const Space& action_space,
                                size_t num_envs, const ReplayBufferOptions& options);

  size_t num_envs() const { return num_envs_; }
  size_t observation_size() const { return obs_size_; }
  size_t action_size() const { return act_size_; }
  // True if actions are int64 (Discrete/MultiDiscrete), false if float (Box).
  bool integer_actions() const { return integer_actions_; }
  const ReplayBufferOptions& options() const { return options_; }
  size_t capacity() const { return options_.capacity; }
  // Stored transitions, at most capacity().
  size_t size() const { return size_; }
  // The slot the next transition is written to.
  size_t position() const { return position_; }
  // Steps waiting in environment `env`'s n-step window (always < n_step after add()).
  size_t pending(size_t env) const { return pending_count_[env]; }

  // Records one vector step and emits the transitions it completes (see the top of this
  // file). Throws cairn::Error, before changing anything, if a span has the wrong length
  // or the wrong action kind is given, or, naming the environment, if a reward is not
  // finite or so large that its n-step return could overflow float (|r| > FLT_MAX / n),
  // an observation or the next observation used holds NaN, a Box action is not finite or
  // an integer action is outside the action space. restore_state() accepts exactly what
  // add() accepts, so every saved buffer can be restored.
  void add(const VectorStep& step);

  // Empties the ring and the pending windows (capacity and options stay).
  void clear();

  // A batch with room for `batch_size` transitions. Allocates. Throws cairn::Error naming
  // batch_size if the batch would need more than options().max_bytes.
  ReplayBatch make_batch(size_t batch_size) const;
  // Fills `indices` with uniform draws from [0, size()), one rng.below(size()) each, in
  // order. Throws cairn::Error if the buffer is empty.
  void sample_indices(Rng& rng, std::span<size_t> indices) const;
  // Copies the transitions batch.indices name into the batch's arrays. Throws
  // cairn::Error if an index is >= size() or the batch's arrays have the wrong sizes.
  void gather(ReplayBatch& batch) const;
  // sample_indices(rng, batch.indices) then gather(batch).
  void sample(Rng& rng, ReplayBatch& batch) const;

  // Transition `slot` (< size()), as spans into the buffer, valid until the next
  // add(), clear() or restore_state().
  struct TransitionView {
    std::span<const float> observation;
    std::span<const int64_t> int_action;
    std::span<const float> float_action;
    float reward = 0, discount = 0;
    std::span<const float> next_observation;
  };
  TransitionView transition(size_t slot) const;

  // Writes the buffer's state as tensors named prefix + "capacity", "n_step", "gamma",
  // "position", "size", "observations", "actions", "rewards", "discounts",
  // "next_observations" (the size() stored rows) and "pending_count",
  // "pending_observations", "pending_actions", "pending_rewards" (the n-step windows,
  // oldest step first). Throws cairn::Error if a name is already in `out`. Allocates
  // about the buffer's size.
  void save_state(TensorDict& out, const std::string& prefix) const;
  // Restores save_state()'s tensors, after which the buffer continues exactly as the saved
  // one would have. The tensors are untrusted: throws cairn::Error naming in.source()
  // and the tensor if one is missing, has the wrong dtype or shape, was saved with
  // different options (capacity, n_step, gamma) or sizes, or holds an impossible value
  // (position or size out of range, a discount that is not 0 or gamma^k, a non-finite
  // or too large reward, a NaN observation, a non-finite Box action or an integer action
  // outside the action space). On error the buffer is unchanged.
  void restore_state(const TensorDict& in, const std::string& prefix);

 private:
  // Emits the oldest `count` steps of environment env's window, ending with
  // `last_observation` after `window` steps; `terminated` zeroes every discount.
  void emit_from_window(size_t env, size_t count, size_t window, const float* last_observation,
                        bool terminated);
  void write_transition(const float* observation, const void* action, double reward, float discount,
                        const float* next_observation);
  // Row `k` (0 = oldest) of environment env's window, in the window's ring.
  size_t window_row(size_t env, size_t k) const;

  Space action_space_;
  size_t num_envs_ = 0, obs_size_ = 0, act_size_ = 0;
  bool integer_actions_ = false;
  ReplayBufferOptions options_;
  // gamma^k for k = 0..n_step: float for discounts, double for returns.
  std::vector<float> discount_of_;
  std::vector<double> gamma_power_;

  size_t position_ = 0, size_ = 0;
  std::vector<float> observations_, next_observations_;  // capacity x obs_size
  std::vector<int64_t> int_actions_;                     // capacity x act_size (integer)
  std::vector<float> float_actions_;                     // capacity x act_size (Box)
  std::vector<float> rewards_, discounts_;               // capacity

  // n-step windows: environment env's window is a ring of n_step rows starting at
  // pending_start_[env] and holding pending_count_[env] steps.
  std::vector<size_t> pending_start_, pending_count_;
  std::vector<float> pending_observations_;   // num_envs x n_step x obs_size
  std::vector<int64_t> pending_int_actions_;  // num_envs x n_step x act_size (integer)
  std::vector<float> pending_float_actions_;  // num_envs x n_step x act_size (Box)
  std::vector<double> pending_rewards_;       // num_envs x n_step
};

}  // namespace cairn
