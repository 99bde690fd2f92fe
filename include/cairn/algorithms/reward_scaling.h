// RewardScaling: PPO's reward normalisation (normalize_rewards), Stable-Baselines3's
// VecNormalize reward scaling. Each stream (an environment, or an agent's column in a
// multi-agent run) keeps its discounted return
//
//   R_t = gamma * R_{t-1} + r_t          (reset to 0 after the step that ends its episode)
//
// and a step's rewards become clip(r_t / std(R), -clip, clip), where std(R) is the running
// standard deviation of the discounted returns of every stream (RunningMeanStd, with the
// step's returns folded in first).
//
// The statistics and the returns belong to the run: save()/restore() put them in algorithm
// checkpoints under a prefix ("reward_normalizer/" for PPO), as
//   <prefix>mean F64 [1], <prefix>var F64 [1], <prefix>count F64 [],
//   <prefix>discounted_returns F64 [streams]
// so a resumed run continues bit for bit.
//
// Allocation: the constructor allocates; scale() does not (save() builds its tensors).
// Thread safety: not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/io/safetensors.h"
#include "cairn/policy/running_mean_std.h"

namespace cairn {

class RewardScaling {
 public:
  // Throws cairn::Error if streams == 0 or clip <= 0.
  RewardScaling(size_t streams, double gamma, double clip);

  size_t streams() const { return returns_.size(); }

  // One step: the rewards of the streams that acted (acting[s] != 0; an empty `acting`
  // means every stream) are scaled into out[s]; the others' entries of `out` are left as
  // they are and their returns do not move. rewards, terminated and truncated have one entry
  // per stream. Does nothing when no stream acted. Preconditions (not checked): the spans
  // have streams() entries (acting: or none).
  void scale(std::span<const double> rewards, std::span<const uint8_t> terminated,
             std::span<const uint8_t> truncated, std::span<const uint8_t> acting,
             std::span<float> out);

  void save(TensorDict& out, const std::string& prefix) const;
  // Throws cairn::Error naming the tensor (and in.source()) when one is missing, has another
  // dtype or shape, or holds a value the statistics cannot take (one that is not finite, a
  // negative variance, a count that is not positive).
  void restore(const TensorDict& in, const std::string& prefix);
  // What restore() reads, checked without building anything (the same errors).
  static void check(const TensorDict& in, const std::string& prefix, int64_t streams);

 private:
  double gamma_;
  float clip_;
  RunningMeanStd stats_;
  std::vector<double> returns_;        // per stream
  std::vector<float> acting_returns_;  // scratch: the acting streams' returns
};

}  // namespace cairn
