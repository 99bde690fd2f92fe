// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ (norm_type 2):
// total = ||grads||_2 over all elements; if max_norm / (total + 1e-6) < 1 every
// gradient is multiplied by that factor. Returns the norm before clipping.
//
// The norm is accumulated in double, so finite float gradients always give a finite norm;
// a NaN or infinite gradient gives a NaN or infinite norm (callers check it). Does not allocate.
// Thread safety: uses only its arguments.
#pragma once

#include <span>

namespace cairn::nn {

template <typename T>
double global_norm(std::span<const T> values);

// Throws cairn::Error if max_norm is not positive.
template <typename T>
double clip_grad_norm(std::span<T> grads, double max_norm);

}  // namespace cairn::nn
