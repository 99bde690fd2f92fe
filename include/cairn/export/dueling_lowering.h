// The ONNX and C lowering of the "dueling_q" layer (cairn/nn/dueling.h):
//
//   ONNX: m = ReduceMean(A, axes = [1], keepdims = 1); Q = Add(V, Sub(A, m))
//   C:    m = (sum_k A[k]) / n; Q[k] = V[0] + (A[k] - m)
//
// in the order DuelingQ::forward computes, so the C export matches the policy bit for bit
// and ONNX Runtime to the exporters' tolerance (its ReduceMean may sum in another order).
//
// Thread safety: the lowering is immutable and shared.
#pragma once

#include "cairn/export/layer_lowering.h"

namespace cairn::nn {

// The process-wide lowering every DuelingQ layer returns from lowering().
const LayerLowering& dueling_q_lowering();

}  // namespace cairn::nn
