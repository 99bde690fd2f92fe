#include "cairn/algorithms/twin_critic.h"

#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/nn/finite.h"
#include "cairn/nn/grad_clip.h"

namespace cairn {
namespace {

nn::Model<float> built(const nn::ModelSpec& spec) {
  nn::Model<float> m(spec);
  const size_t q = m.output_index(TwinCritic::kQOutput);
  if (m.output_size(q) != 1) {
    throw Error("critic spec: output 'q' must have 1 column, has " +
                std::to_string(m.output_size(q)));
  }
  return m;
}

}  // namespace

TwinCritic::TwinCritic(const nn::ModelSpec& spec, const nn::AdamOptions& adam, Rng& rng)
    : critics_{built(spec), built(spec)},
      targets_{critics_},
      optimizers_{nn::Adam<float>(critics_[0].parameters(), adam),
                  nn::Adam<float>(critics_[1].parameters(), adam)} {
  for (nn::Model<float>& c : critics_) c.initialize(rng);
  targets_ = critics_;
}

void TwinCritic::reserve(size_t batch) {
  for (size_t i = 0; i < kCritics; ++i) {
    critics_[i].reserve(static_cast<nn::Index>(batch));
    targets_[i].reserve(static_cast<nn::Index>(batch));
  }
  q_scratch_.resize(batch);
  input_grad_.resize(batch * input_size());
}

void TwinCritic::target_min_q(nn::MatrixSpan<const float> inputs, std::span<float> out) {
  const size_t batch = static_cast<size_t>(inputs.rows);
  if (out.size() != batch) throw Error("TwinCritic::target_min_q: output size mismatch");
  targets_[0].forward(inputs);
  targets_[1].forward(inputs);
  const float* q0 = targets_[0].output(0).data;
  const float* q1 = targets_[1].output(0).data;
  for (size_t b = 0; b < batch; ++b) out[b] = std::min(q0[b], q1[b]);
}

TwinCritic::Loss TwinCritic::loss_and_gradients(nn::MatrixSpan<const float> inputs,
                                                std::span<const float> targets) {
  const size_t batch = static_cast<size_t>(inputs.rows);
  if (targets.size() != batch) throw Error("TwinCritic: targets size mismatch");
  Loss loss;
  for (size_t i = 0; i < kCritics; ++i) {
    nn::Model<float>& c = critics_[i];
    c.zero_grad();
    c.forward(inputs);
    const float* q = c.output(0).data;
    float* dq = c.output_grad(0).data;
    // L_i = mean_b (Q_i - y)^2,  dL_i/dQ_i = 2 (Q_i - y) / B.
    double sum_sq = 0, sum_q = 0;
    const float scale = 2.0f / static_cast<float>(batch);
    for (size_t b = 0; b < batch; ++b) {
      const float diff = q[b] - targets[b];
      sum_sq += static_cast<double>(diff) * diff;
      sum_q += q[b];
      dq[b] = scale * diff;
    }
    c.backward();
    loss.loss += sum_sq / static_cast<double>(batch);
    loss.q_mean[i] = sum_q / static_cast<double>(batch);
  }
  return loss;
}

bool TwinCritic::gradients_finite() const {
  return nn::all_finite(critics_[0].flat_gradients()) &&
         nn::all_finite(critics_[1].flat_gradients());
}

void TwinCritic::clip_gradients(double max_norm) {
  for (nn::Model<float>& c : critics_) nn::clip_grad_norm(c.flat_gradients(), max_norm);
}

void TwinCritic::step() {
  for (size_t i = 0; i < kCritics; ++i)
    optimizers_[i].step(critics_[i].flat_parameters(), critics_[i].flat_gradients());
}

void TwinCritic::set_learning_rate(double lr) {
  for (nn::Adam<float>& o : optimizers_) o.set_learning_rate(lr);
}

nn::MatrixSpan<const float> TwinCritic::input_gradient(nn::MatrixSpan<const float> inputs,
                                                       bool use_min, float weight,
                                                       std::span<float> q) {
  const size_t batch = static_cast<size_t>(inputs.rows);
  const size_t width = input_size();
  if (q.size() != batch) throw Error("TwinCritic::input_gradient: q size mismatch");
  if (input_grad_.size() < batch * width) input_grad_.resize(batch * width);
  if (!use_min) {
    nn::Model<float>& c = critics_[0];
    c.forward(inputs);
    const float* q0 = c.output(0).data;
    float* d = c.output_grad(0).data;
    for (size_t b = 0; b < batch; ++b) {
      q[b] = q0[b];
      d[b] = weight;
    }
    c.backward(nn::InputGrad::kCompute, nn::ParamGrad::kSkip);
    const auto g = c.input_grad().flat();
    std::copy(g.begin(), g.end(), input_grad_.begin());
    return {input_grad_.data(), inputs.rows, inputs.cols};
  }
  critics_[0].forward(inputs);
  critics_[1].forward(inputs);
  const float* q0 = critics_[0].output(0).data;
  const float* q1 = critics_[1].output(0).data;
  float* d0 = critics_[0].output_grad(0).data;
  float* d1 = critics_[1].output_grad(0).data;
  // d min(a, b): to the smaller one; half to each at a tie (torch.min's gradient).
  for (size_t b = 0; b < batch; ++b) {
    q[b] = std::min(q0[b], q1[b]);
    d0[b] = q0[b] < q1[b] ? weight : (q0[b] == q1[b] ? weight / 2 : 0.0f);
    d1[b] = q1[b] < q0[b] ? weight : (q0[b] == q1[b] ? weight / 2 : 0.0f);
  }
  critics_[0].backward(nn::InputGrad::kCompute, nn::ParamGrad::kSkip);
  critics_[1].backward(nn::InputGrad::kCompute, nn::ParamGrad::kSkip);
  const float* g0 = critics_[0].input_grad().data;
  const float* g1 = critics_[1].input_grad().data;
  for (size_t k = 0; k < batch * width; ++k) input_grad_[k] = g0[k] + g1[k];
  return {input_grad_.data(), inputs.rows, inputs.cols};
}

void TwinCritic::polyak_update(double tau) {
  for (size_t i = 0; i < kCritics; ++i)
    cairn::polyak_update(critics_[i].flat_parameters(), targets_[i].flat_parameters(), tau);
}

void polyak_update(std::span<const float> online, std::span<float> target, double tau) {
  if (online.size() != target.size()) throw Error("polyak_update: parameter sizes differ");
  const float t = static_cast<float>(tau), keep = static_cast<float>(1.0 - tau);
  for (size_t k = 0; k < target.size(); ++k) target[k] = t * online[k] + keep * target[k];
}

void TwinCritic::save_state(TensorDict& out, const std::string& prefix) const {
  for (size_t i = 0; i < kCritics; ++i) {
    const std::string n = std::to_string(i);
    save_model_parameters(critics_[i], prefix + "critic_" + n + "/", out);
    save_model_parameters(targets_[i], prefix + "target_" + n + "/", out);
    save_optimizer_state(optimizers_[i], "optimizer/" + prefix + "critic_" + n + "/", out);
  }
}

void TwinCritic::restore_state(const TensorDict& in, const std::string& prefix) {
  // Into copies first, so that an error leaves this object unchanged.
  std::array<nn::Model<float>, 2> critics = critics_, targets = targets_;
  std::array<nn::Adam<float>, 2> optimizers = optimizers_;
  for (size_t i = 0; i < kCritics; ++i) {
    const std::string n = std::to_string(i);
    restore_model_parameters(critics[i], prefix + "critic_" + n + "/", in);
    restore_model_parameters(targets[i], prefix + "target_" + n + "/", in);
    restore_optimizer_state(optimizers[i], "optimizer/" + prefix + "critic_" + n + "/", in);
  }
  critics_ = std::move(critics);
  targets_ = std::move(targets);
  optimizers_ = std::move(optimizers);
}

}  // namespace cairn
