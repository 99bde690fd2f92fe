// RolloutBuffer: on-policy storage of one iteration's rollouts (PPO's batch), as
// ReplayBuffer is off-policy storage.
//
// num_steps x num_envs transitions, time-major (row t * num_envs + e): the preprocessed
// features the policy saw, the action taken (category indices for discrete action spaces,
// the unclipped Gaussian sample for Box ones), its log-probability and the value estimate
// under the policy that collected it, the reward, the terminated/truncated flags, the value
// of the final observation where an episode was truncated, and, once the algorithm has
// computed them (GAE), the advantages and returns. Minibatches are gathered from it by row.
//
// For a recurrent policy (sequence_length > 0) it also keeps each row's episode-start flag
// and, for every environment, the policy's state at the start of each sequence of
// sequence_length steps (steps k * sequence_length ... (k + 1) * sequence_length - 1 of one
// environment: sequence k * num_envs + e). Minibatches of whole sequences are then gathered
// time-major (gather_sequences), as nn::Model::forward with a SequenceInput takes them.
//
// Allocation: the constructor allocates everything; nothing else allocates. Thread safety:
// not thread-safe; views are valid for the buffer's lifetime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cairn {

struct RolloutSizes {
  size_t num_steps = 0;
  size_t num_envs = 0;
  size_t feature_size = 0;
  size_t action_dim = 0;       // per transition: categories per discrete sub-space or Box elements
  bool discrete = false;       // actions stored as indices (else as floats)
  size_t state_size = 0;       // recurrent policies: values of state per environment
  size_t sequence_length = 0;  // recurrent policies: steps per sequence (divides num_steps)
};

// One minibatch, gathered from rows of the buffer (sized for `rows` rows at most).
struct RolloutMinibatch {
  explicit RolloutMinibatch(const RolloutSizes& sizes, size_t rows);
  size_t rows = 0;                      // rows gathered by the last gather()
  std::vector<float> features;          // [rows x feature_size]
  std::vector<int64_t> action_indices;  // [rows x action_dim] (discrete)
  std::vector<float> raw_actions;       // [rows x action_dim] (Box)
  std::vector<float> log_probs;         // old log pi(a|s)
  std::vector<float> values;            // old V(s)
  std::vector<float> advantages;
  std::vector<float> returns;
  // gather_sequences only: the rows' episode-start flags and each sequence's first state.
  size_t sequences = 0;               // sequences gathered by the last gather_sequences()
  std::vector<uint8_t> starts;        // [rows]
  std::vector<float> initial_states;  // [sequences x state_size]
};

class RolloutBuffer {
 public:
  // Throws cairn::Error if a size is zero.
  explicit RolloutBuffer(const RolloutSizes& sizes);

  const RolloutSizes& sizes() const { return sizes_; }
  size_t size() const { return batch_; }  // num_steps * num_envs

  // The num_envs rows of step t (t < num_steps; not checked). The action array of the
  // other kind is empty.
  std::span<float> features(size_t t) { return row_span(features_, t, sizes_.feature_size); }
  std::span<int64_t> action_indices(size_t t) {
    return row_span(action_indices_, t, sizes_.action_dim);
  }
  std::span<float> raw_actions(size_t t) { return row_span(raw_actions_, t, sizes_.action_dim); }
  std::span<float> log_probs(size_t t) { return row_span(log_probs_, t, 1); }
  std::span<float> values(size_t t) { return row_span(values_, t, 1); }
  std::span<float> rewards(size_t t) { return row_span(rewards_, t, 1); }
  std::span<float> final_values(size_t t) { return row_span(final_values_, t, 1); }
  std::span<uint8_t> terminated(size_t t) { return row_span(terminated_, t, 1); }
  std::span<uint8_t> truncated(size_t t) { return row_span(truncated_, t, 1); }

  // The whole batch [num_steps * num_envs].
  std::span<const float> values() const { return values_; }
  std::span<const float> rewards() const { return rewards_; }
  std::span<const float> final_values() const { return final_values_; }
  std::span<const uint8_t> terminated() const { return terminated_; }
  std::span<const uint8_t> truncated() const { return truncated_; }
  std::span<float> advantages() { return advantages_; }
  std::span<float> returns() { return returns_; }
  std::span<const float> advantages() const { return advantages_; }
  std::span<const float> returns() const { return returns_; }

  // Copies rows `indices` (each < size()) into `out` (sized for at least indices.size()
  // rows, else cairn::Error), in order.
  void gather(std::span<const size_t> indices, RolloutMinibatch& out) const;

  // Recurrent policies: the episode-start flags of step t's num_envs rows, and the states at
  // the start of sequence chunk k (k < num_steps / sequence_length) [num_envs x state_size].
  std::span<uint8_t> episode_starts(size_t t) { return row_span(episode_starts_, t, 1); }
  std::span<float> sequence_states(size_t k) {
    const size_t n = sizes_.num_envs * sizes_.state_size;
    return std::span<float>(sequence_states_).subspan(k * n, n);
  }
  size_t num_sequences() const {
    return sizes_.sequence_length == 0 ? 0 : batch_ / sizes_.sequence_length;
  }
  // Gathers whole sequences (each < num_sequences()) time-major: row i * S + j of `out` is
  // step i of sequences[j] (S = sequences.size()), with its start flag, and each sequence's
  // first state in out.initial_states. Throws cairn::Error if the buffer keeps no sequences
  // or `out` is too small. Does not allocate.
  void gather_sequences(std::span<const size_t> sequences, RolloutMinibatch& out);

 private:
  // The num_envs rows of step t, each `width` wide; empty for an unused array (the action
  // array of the other kind).
  template <typename T>
  std::span<T> row_span(std::vector<T>& v, size_t t, size_t width) {
    if (v.empty()) return {};
    const size_t n = sizes_.num_envs * width;
    return std::span<T>(v).subspan(t * n, n);
  }

  RolloutSizes sizes_;
  size_t batch_ = 0;
  std::vector<float> features_, raw_actions_, log_probs_, values_, rewards_, final_values_;
  std::vector<int64_t> action_indices_;
  std::vector<uint8_t> terminated_, truncated_, episode_starts_;
  std::vector<float> sequence_states_;
  std::vector<size_t> sequence_rows_;  // gather_sequences' scratch
  std::vector<float> advantages_, returns_;
};

}  // namespace cairn
