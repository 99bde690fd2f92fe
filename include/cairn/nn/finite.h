// Finiteness checks for the buffers that feed training and inference.
//
// One NaN or infinity in a reward, an observation, a gradient or a weight spreads to
// every parameter within one optimiser step, so cairn checks data where it enters.
// These checks are a single branch-free pass (an OR over the exponent bits, which the
// compiler vectorises); the position of the offending element is only searched for
// when something is wrong.
//
// Thread safety: pure functions of their arguments. Do not allocate, except
// describe_non_finite() (its returned string).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "cairn/nn/tensor.h"

namespace cairn {

// What to do with a NaN or infinite value that arrives from an environment, a loss or
// a gradient (VectorEnv::set_non_finite_handling, PPOConfig::non_finite).
enum class NonFiniteHandling {
  kError,  // stop with a cairn::Error naming the source (the default)
  kSkip,   // drop the offending transition or minibatch and count it
};

}  // namespace cairn

namespace cairn::nn {

// True if every value is finite (neither NaN nor +-infinity).
template <typename T>
bool all_finite(std::span<const T> values);

// Index of the first NaN or infinite value, or values.size() if there is none.
template <typename T>
size_t first_non_finite(std::span<const T> values);

// "nan", "inf" or "-inf" (for error messages).
std::string non_finite_name(double value);

// For a flat buffer laid out as `layout` (Model::parameters()): "tensor 'pi/dense_0/kernel'
// element 3 is nan" for the first non-finite value, or "" if every value is finite.
template <typename T>
std::string describe_non_finite(std::span<const T> flat, const std::vector<TensorInfo>& layout);

}  // namespace cairn::nn
