// Training state as tensors: how every algorithm stores its optimisers and random
// generators in algorithm_state.safetensors, in one place.
//
//   <prefix><state name>   F32, each optimiser state tensor (Adam's moments)
//   <prefix>step_count     I64 scalar, the optimiser's step count
//   <name>                 U64 [6], a generator's state (RngState::to_words)
//
// Errors are cairn::Error naming the state file (TensorDict::source()) and the tensor.
#pragma once

#include <string>

#include "cairn/io/safetensors.h"
#include "cairn/nn/optimizer.h"
#include "cairn/random/random.h"

namespace cairn {

void save_optimizer_state(const nn::Optimizer<float>& optimizer, const std::string& prefix,
                          TensorDict& out);
// Throws if a tensor is missing, of the wrong dtype or shape, or the step count is negative.
void restore_optimizer_state(nn::Optimizer<float>& optimizer, const std::string& prefix,
                             const TensorDict& in);

void save_rng_state(const Rng& rng, const std::string& name, TensorDict& out);
// Throws unless `name` is U64 [6] holding a generator state (checked as check_rng_state).
void restore_rng_state(Rng& rng, const std::string& name, const TensorDict& in);
// Checks without restoring: U64 [6], PCG64's increment odd, the cached-normal flag 0 or 1.
void check_rng_state(const TensorDict& in, const std::string& name);

// Every F32 or F64 tensor of `in` is finite; else throws naming the tensor and element.
// One NaN in a restored state would spread to every weight in the first update.
void check_state_finite(const TensorDict& in);

}  // namespace cairn
