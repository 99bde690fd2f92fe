#include "cairn/nn/gradient_check.h"

#include <cmath>
#include <vector>

namespace cairn::nn {
namespace {

// Runs the model on `input`, over sequences when `sequence` is given (with `state`).
void run(Model<double>& model, MatrixSpan<const double> input,
         const SequenceInput<double>* sequence, MatrixSpan<const double> state) {
  if (sequence == nullptr) {
    model.forward(input);
  } else {
    SequenceInput<double> s = *sequence;
    s.state = state;
    model.forward(input, s);
  }
}

double weighted_loss(Model<double>& model, MatrixSpan<const double> input,
                     const SequenceInput<double>* sequence, MatrixSpan<const double> state,
                     const std::vector<RowMatrix<double>>& weights) {
  run(model, input, sequence, state);
  double loss = 0.0;
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    loss += model.output(o).map().cwiseProduct(weights[o]).sum();
  }
  return loss;
}

void record(GradientCheckResult& r, double analytic, double numeric, double floor,
            const std::string& what) {
  const double denom = std::max({std::abs(analytic), std::abs(numeric), floor});
  const double rel = std::abs(analytic - numeric) / denom;
  ++r.checked;
  if (rel > r.max_relative_error || std::isnan(rel)) {
    r.max_relative_error = std::isnan(rel) ? INFINITY : rel;
    r.worst = what;
    r.worst_analytic = analytic;
    r.worst_numeric = numeric;
  }
}

GradientCheckResult check(Model<double>& model, MatrixSpan<const double> input,
                          const SequenceInput<double>* sequence,
                          const GradientCheckOptions& options) {
  Rng rng(options.seed);
  const MatrixSpan<const double> state0 =
      sequence != nullptr ? sequence->state : MatrixSpan<const double>();
  run(model, input, sequence, state0);
  std::vector<RowMatrix<double>> weights;
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    RowMatrix<double> w(input.rows, model.output_size(o));
    for (Index i = 0; i < w.size(); ++i) w.data()[i] = rng.normal();
    weights.push_back(std::move(w));
  }
  for (size_t o = 0; o < model.num_outputs(); ++o) model.output_grad(o).map() = weights[o];
  model.zero_grad();
  model.backward(InputGrad::kCompute);
  const RowMatrix<double> input_grad = model.input_grad().map();
  RowMatrix<double> state_grad;
  if (sequence != nullptr && model.state_size() > 0) state_grad = model.state_in_grad().map();
  const std::vector<double> grads(model.flat_gradients().begin(), model.flat_gradients().end());

  GradientCheckResult result;
  const double h = options.step;
  std::span<double> params = model.flat_parameters();
  for (const TensorInfo& info : model.parameters()) {
    for (size_t i = 0; i < info.size; ++i) {
      double& p = params[info.offset + i];
      const double saved = p;
      p = saved + h;
      const double plus = weighted_loss(model, input, sequence, state0, weights);
      p = saved - h;
      const double minus = weighted_loss(model, input, sequence, state0, weights);
      p = saved;
      record(result, grads[info.offset + i], (plus - minus) / (2 * h), options.floor,
             "parameter " + info.name + "[" + std::to_string(i) + "]");
    }
  }
  RowMatrix<double> x = input.map();
  for (Index r = 0; r < x.rows(); ++r) {
    for (Index c = 0; c < x.cols(); ++c) {
      const double saved = x(r, c);
      x(r, c) = saved + h;
      const double plus =
          weighted_loss(model, as_span(std::as_const(x)), sequence, state0, weights);
      x(r, c) = saved - h;
      const double minus =
          weighted_loss(model, as_span(std::as_const(x)), sequence, state0, weights);
      x(r, c) = saved;
      record(result, input_grad(r, c), (plus - minus) / (2 * h), options.floor,
             "input[" + std::to_string(r) + ", " + std::to_string(c) + "]");
    }
  }
  if (state_grad.size() > 0) {
    RowMatrix<double> state = state0.map();
    for (Index r = 0; r < state.rows(); ++r) {
      for (Index c = 0; c < state.cols(); ++c) {
        const double saved = state(r, c);
        state(r, c) = saved + h;
        const double plus =
            weighted_loss(model, input, sequence, as_span(std::as_const(state)), weights);
        state(r, c) = saved - h;
        const double minus =
            weighted_loss(model, input, sequence, as_span(std::as_const(state)), weights);
        state(r, c) = saved;
        record(result, state_grad(r, c), (plus - minus) / (2 * h), options.floor,
               "state[" + std::to_string(r) + ", " + std::to_string(c) + "]");
      }
    }
  }
  run(model, input, sequence, state0);
  return result;
}

}  // namespace

GradientCheckResult check_gradients(Model<double>& model, MatrixSpan<const double> input,
                                    const GradientCheckOptions& options) {
  return check(model, input, nullptr, options);
}

GradientCheckResult check_gradients(Model<double>& model, MatrixSpan<const double> input,
                                    const SequenceInput<double>& sequence,
                                    const GradientCheckOptions& options) {
  return check(model, input, &sequence, options);
}

}  // namespace cairn::nn
