// Training-state tensors: how an algorithm's optimisers, networks and generators are
// written into its checkpoint's state (algorithm_state.safetensors) and read back
// exactly. One home for these forms, so every algorithm's state reads the same way:
//
//   <prefix><slot>/<parameter>   F32, the parameter's shape   an optimiser's moments
//   <prefix>step_count           I64 []                        its step count
//   <prefix><parameter>          F32, the parameter's shape   a network's weights
//   <name>                       U64 [6]                      a generator (RngState words)
//
// Restoring treats the tensors as untrusted: throws cairn::Error naming in.source() and
// the tensor when one is missing, has the wrong dtype or shape, holds a non-finite value
// (weights, moments) or is not a generator state. Allocates.
#pragma once

#include <string>

#include "cairn/io/safetensors.h"
#include "cairn/nn/model.h"
#include "cairn/nn/optimizer.h"
#include "cairn/random/random.h"

namespace cairn::training_state {

void save_optimizer(const nn::Optimizer<float>& opt, const std::string& prefix, TensorDict& out);
void restore_optimizer(nn::Optimizer<float>& opt, const std::string& prefix, const TensorDict& in);

void save_parameters(const nn::Model<float>& model, const std::string& prefix, TensorDict& out);
void restore_parameters(nn::Model<float>& model, const std::string& prefix, const TensorDict& in);

void save_rng(const Rng& rng, const std::string& name, TensorDict& out);
void restore_rng(Rng& rng, const std::string& name, const TensorDict& in);

// A scalar F64 [] / I64 [].
void save_scalar(double value, const std::string& name, TensorDict& out);
double restore_scalar(const std::string& name, const TensorDict& in);
void save_integer(int64_t value, const std::string& name, TensorDict& out);
int64_t restore_integer(const std::string& name, const TensorDict& in);

}  // namespace cairn::training_state
