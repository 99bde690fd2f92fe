#include "cairn/algorithms/rollout_memory.h"

#include <algorithm>
#include <string>

#include "cairn/error.h"

namespace cairn {
namespace {

constexpr const char* kStateTensor = "memory/state";
constexpr const char* kEpisodeStartTensor = "memory/episode_start";

}  // namespace

RolloutMemory::RolloutMemory(size_t num_envs, size_t state_size, size_t sequence_length)
    : num_envs_(num_envs),
      state_size_(state_size),
      sequence_length_(sequence_length),
      state_(num_envs * state_size, 0.0f),
      episode_start_(num_envs, 1),
      bootstrap_states_(num_envs * state_size),
      no_starts_(num_envs, 0) {}

void RolloutMemory::record(RolloutBuffer& buffer, size_t t) const {
  if (t % sequence_length_ == 0) {
    std::copy(state_.begin(), state_.end(), buffer.sequence_states(t / sequence_length_).begin());
  }
  std::copy(episode_start_.begin(), episode_start_.end(), buffer.episode_starts(t).begin());
}

nn::SequenceInput<float> RolloutMemory::step_input() const {
  return {1,
          nn::MatrixSpan<const float>(state_.data(), static_cast<nn::Index>(num_envs_),
                                      static_cast<nn::Index>(state_size_)),
          episode_start_};
}

void RolloutMemory::take_state(const nn::Model<float>& model) {
  const std::span<const float> out = model.state_out().flat();
  std::copy(out.begin(), out.end(), state_.begin());
}

void RolloutMemory::episodes_ended(std::span<const uint8_t> terminated,
                                   std::span<const uint8_t> truncated) {
  for (size_t e = 0; e < num_envs_; ++e) {
    episode_start_[e] = (terminated[e] != 0 || truncated[e] != 0) ? 1 : 0;
  }
}

nn::SequenceInput<float> RolloutMemory::bootstrap_input(std::span<const size_t> envs) {
  for (size_t j = 0; j < envs.size(); ++j) {
    std::copy_n(state_.begin() + static_cast<std::ptrdiff_t>(envs[j] * state_size_), state_size_,
                bootstrap_states_.begin() + static_cast<std::ptrdiff_t>(j * state_size_));
  }
  return {1,
          nn::MatrixSpan<const float>(bootstrap_states_.data(), static_cast<nn::Index>(envs.size()),
                                      static_cast<nn::Index>(state_size_)),
          std::span<const uint8_t>(no_starts_).first(envs.size())};
}

void RolloutMemory::save(TensorDict& out) const {
  const auto envs = static_cast<int64_t>(num_envs_);
  out.insert(kStateTensor, Tensor::f32(state_, {envs, static_cast<int64_t>(state_size_)}));
  const std::vector<int64_t> starts(episode_start_.begin(), episode_start_.end());
  out.insert(kEpisodeStartTensor, Tensor::i64(starts, {envs}));
}

void RolloutMemory::restore(const TensorDict& in) {
  const auto envs = static_cast<int64_t>(num_envs_);
  in.expect(kStateTensor, DType::f32, {envs, static_cast<int64_t>(state_size_)})
      .copy_to(std::span<float>(state_));
  const std::vector<int64_t> starts =
      in.expect(kEpisodeStartTensor, DType::i64, {envs}).to_vector<int64_t>();
  for (size_t e = 0; e < num_envs_; ++e) {
    if (starts[e] != 0 && starts[e] != 1) {
      throw Error(std::string("tensor '") + kEpisodeStartTensor + "' element " + std::to_string(e) +
                  " is " + std::to_string(starts[e]) + ", not 0 or 1");
    }
    episode_start_[e] = static_cast<uint8_t>(starts[e]);
  }
}

void RolloutMemory::check(const TensorDict& in, int64_t num_envs) {
  if (!in.contains(kStateTensor) && !in.contains(kEpisodeStartTensor)) return;
  const Tensor& state = in.at(kStateTensor);
  if (state.dtype() != DType::f32 || state.shape().size() != 2 || state.shape()[0] != num_envs) {
    throw Error(std::string("tensor '") + kStateTensor + "' must be F32 [num_envs, state_size]");
  }
  in.expect(kEpisodeStartTensor, DType::i64, {num_envs});
}

}  // namespace cairn
