// Finite-difference gradient checking for models (and so for layers, custom ones
// included: wrap the layer in a one-block model).
//
// The check uses the scalar loss L = sum over outputs o of sum(R_o * output_o), with
// R_o drawn from a standard normal (Rng(seed)), so every output element contributes
// with a different weight. It compares Model::backward's parameter gradients and input
// gradients with central differences (L(x + h) - L(x - h)) / 2h, element by element.
//
// Relative error of one element: |analytic - numeric| / max(|analytic|, |numeric|, floor).
// The floor keeps elements whose true gradient is ~0 from dominating the statistic.
//
// Thread safety: uses only its arguments. Allocates. Slow (two forwards per element):
// meant for tests with small models.
#pragma once

#include <string>

#include "cairn/nn/model.h"

namespace cairn::nn {

struct GradientCheckOptions {
  double step = 1e-5;   // h
  double floor = 1e-3;  // denominator floor of the relative error
  uint64_t seed = 0;    // for the loss weights R
};

struct GradientCheckResult {
  double max_relative_error = 0.0;
  std::string worst;  // e.g. "parameter pi/dense_0/kernel[3]" or "input[1, 2]"
  double worst_analytic = 0.0, worst_numeric = 0.0;
  size_t checked = 0;  // elements compared
};

// Checks every parameter element and every input element of `model` at `input`.
// Restores the model's parameters; leaves its gradients holding the analytic ones.
GradientCheckResult check_gradients(Model<double>& model, MatrixSpan<const double> input,
                                    const GradientCheckOptions& options = {});
// The same for a model run over sequences (Model::forward with `sequence`; recurrent layers
// differentiate through time): also checks every element of the initial state against
// Model::state_in_grad() ("state[s, j]").
GradientCheckResult check_gradients(Model<double>& model, MatrixSpan<const double> input,
                                    const SequenceInput<double>& sequence,
                                    const GradientCheckOptions& options = {});

}  // namespace cairn::nn
