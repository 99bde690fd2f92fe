// RolloutMemory: what a recurrent policy carries from one step of each environment to the next
// while an on-policy algorithm collects rollouts: the environment's state row (the policy's
// memory) and whether its next step starts an episode.
//
// Life of a step (PPO::collect_rollouts):
//   record(buffer, t)       the flags of step t into the rollout, and at the start of each
//                           sequence chunk every environment's state (what the update starts
//                           the chunk from)
//   step_input()            the model's input for one step of every environment; after the
//                           forward pass, take_state(model) keeps the state it returned
//   episodes_ended(...)     after the environments stepped: an environment whose episode
//                           ended (same-step auto-reset) starts a new one at its next step
//   bootstrap_input(envs)   the given environments' current states, for the value of a
//                           truncated episode's final observation (no reset)
// The state and flags belong to the run: save()/restore() put them in algorithm checkpoints
// ("memory/state" F32 [num_envs, state_size], "memory/episode_start" I64 [num_envs]), so a
// resumed run continues bit for bit.
//
// Allocation: the constructor allocates; nothing else does (save() builds its tensors).
// Thread safety: not thread-safe; the spans it returns are valid until the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cairn/io/safetensors.h"
#include "cairn/nn/model.h"
#include "cairn/storage/rollout_buffer.h"

namespace cairn {

class RolloutMemory {
 public:
  // Every environment starts an episode with the initial (zero) state.
  RolloutMemory(size_t num_envs, size_t state_size, size_t sequence_length);

  size_t state_size() const { return state_size_; }
  size_t sequence_length() const { return sequence_length_; }

  void record(RolloutBuffer& buffer, size_t t) const;
  nn::SequenceInput<float> step_input() const;
  // Copies the state of the model's last forward (one row per environment) in.
  void take_state(const nn::Model<float>& model);
  void episodes_ended(std::span<const uint8_t> terminated, std::span<const uint8_t> truncated);
  nn::SequenceInput<float> bootstrap_input(std::span<const size_t> envs);

  void save(TensorDict& out) const;
  // Throws cairn::Error naming the tensor if it is missing, misshaped or holds a flag other
  // than 0 or 1.
  void restore(const TensorDict& in);
  // The checks restore() makes that need no algorithm (num_envs from the config; the state
  // width is the model's, checked by restore()). A checkpoint without the tensors passes.
  static void check(const TensorDict& in, int64_t num_envs);

 private:
  size_t num_envs_, state_size_, sequence_length_;
  std::vector<float> state_;             // [num_envs x state_size]
  std::vector<uint8_t> episode_start_;   // [num_envs]
  std::vector<float> bootstrap_states_;  // bootstrap_input()'s rows
  std::vector<uint8_t> no_starts_;       // zeros
};

}  // namespace cairn
