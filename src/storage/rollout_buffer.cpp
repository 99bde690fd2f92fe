#include "cairn/storage/rollout_buffer.h"

#include <algorithm>
#include <string>

#include "cairn/error.h"

namespace cairn {

RolloutMinibatch::RolloutMinibatch(const RolloutSizes& sizes, size_t capacity)
    : features(capacity * sizes.feature_size),
      action_indices(sizes.discrete ? capacity * sizes.action_dim : 0),
      raw_actions(sizes.discrete ? 0 : capacity * sizes.action_dim),
      log_probs(capacity),
      values(capacity),
      advantages(capacity),
      returns(capacity),
      starts(sizes.sequence_length > 0 ? capacity : 0),
      initial_states(sizes.sequence_length > 0 ? capacity * sizes.state_size : 0) {}

RolloutBuffer::RolloutBuffer(const RolloutSizes& sizes) : sizes_(sizes) {
  if (sizes.num_steps == 0 || sizes.num_envs == 0 || sizes.feature_size == 0 ||
      sizes.action_dim == 0) {
    throw Error(
        "RolloutBuffer: num_steps, num_envs, feature_size and action_dim must be "
        "positive");
  }
  batch_ = sizes.num_steps * sizes.num_envs;
  features_.resize(batch_ * sizes.feature_size);
  action_indices_.resize(sizes.discrete ? batch_ * sizes.action_dim : 0);
  raw_actions_.resize(sizes.discrete ? 0 : batch_ * sizes.action_dim);
  log_probs_.resize(batch_);
  values_.resize(batch_);
  rewards_.resize(batch_);
  final_values_.assign(batch_, 0.0f);
  terminated_.resize(batch_);
  truncated_.resize(batch_);
  advantages_.resize(batch_);
  returns_.resize(batch_);
  if (sizes.sequence_length > 0) {
    if (sizes.num_steps % sizes.sequence_length != 0) {
      throw Error("RolloutBuffer: the sequence length " + std::to_string(sizes.sequence_length) +
                  " does not divide num_steps " + std::to_string(sizes.num_steps));
    }
    episode_starts_.assign(batch_, 0);
    sequence_states_.assign(num_sequences() * sizes.state_size, 0.0f);
    sequence_rows_.resize(batch_);
  }
}

void RolloutBuffer::gather_sequences(std::span<const size_t> sequences, RolloutMinibatch& out) {
  const size_t count = sequences.size(), length = sizes_.sequence_length;
  if (length == 0) throw Error("RolloutBuffer::gather_sequences: the buffer keeps no sequences");
  const size_t rows = count * length, n = sizes_.num_envs, s = sizes_.state_size;
  if (out.starts.size() < rows || out.initial_states.size() < count * s) {
    throw Error("RolloutBuffer::gather_sequences: the minibatch holds " +
                std::to_string(out.starts.size()) + " rows, asked for " + std::to_string(rows));
  }
  for (size_t j = 0; j < count; ++j) {
    const size_t q = sequences[j];
    if (q >= num_sequences()) {
      throw Error("RolloutBuffer::gather_sequences: sequence " + std::to_string(q) + " of " +
                  std::to_string(num_sequences()));
    }
    const size_t chunk = q / n, env = q % n;
    for (size_t i = 0; i < length; ++i) {
      const size_t row = (chunk * length + i) * n + env;
      sequence_rows_[i * count + j] = row;
      out.starts[i * count + j] = episode_starts_[row];
    }
    std::copy_n(sequence_states_.data() + (chunk * n + env) * s, s,
                out.initial_states.data() + j * s);
  }
  gather(std::span<const size_t>(sequence_rows_).first(rows), out);
  out.sequences = count;
}

void RolloutBuffer::gather(std::span<const size_t> indices, RolloutMinibatch& out) const {
  const size_t m = indices.size();
  if (out.log_probs.size() < m) {
    throw Error("RolloutBuffer::gather: the minibatch holds " +
                std::to_string(out.log_probs.size()) + " rows, asked for " + std::to_string(m));
  }
  const size_t f = sizes_.feature_size, a = sizes_.action_dim;
  for (size_t i = 0; i < m; ++i) {
    const size_t s = indices[i];
    if (s >= batch_) {
      throw Error("RolloutBuffer::gather: row " + std::to_string(s) + " of " +
                  std::to_string(batch_));
    }
    std::copy_n(features_.data() + s * f, f, out.features.data() + i * f);
    if (sizes_.discrete) {
      std::copy_n(action_indices_.data() + s * a, a, out.action_indices.data() + i * a);
    } else {
      std::copy_n(raw_actions_.data() + s * a, a, out.raw_actions.data() + i * a);
    }
    out.log_probs[i] = log_probs_[s];
    out.values[i] = values_[s];
    out.advantages[i] = advantages_[s];
    out.returns[i] = returns_[s];
  }
  out.rows = m;
}

}  // namespace cairn
