#include "cairn/checkpoint/training_state.h"

#include <cmath>
#include <span>

#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn::training_state {

namespace {

std::vector<float> finite_f32(const TensorDict& in, const std::string& name,
                              const std::vector<int64_t>& shape) {
  std::vector<float> v = in.expect(name, DType::f32, shape).to_vector<float>();
  const size_t bad = nn::first_non_finite<float>(v);
  if (bad != v.size()) {
    throw Error(in.source() + ": tensor '" + name + "' element " + std::to_string(bad) + " is " +
                nn::non_finite_name(v[bad]));
  }
  return v;
}

}  // namespace

void save_optimizer(const nn::Optimizer<float>& opt, const std::string& prefix, TensorDict& out) {
  for (const nn::TensorInfo& t : opt.state_tensors())
    out.insert(prefix + t.name, Tensor::f32(opt.state(t.name), t.shape));
  save_integer(opt.step_count(), prefix + "step_count", out);
}

void restore_optimizer(nn::Optimizer<float>& opt, const std::string& prefix, const TensorDict& in) {
  const int64_t steps = restore_integer(prefix + "step_count", in);
  if (steps < 0) throw Error(in.source() + ": tensor '" + prefix + "step_count' is negative");
  for (const nn::TensorInfo& t : opt.state_tensors()) {
    const std::string name = prefix + t.name;
    opt.set_state(t.name, t.shape, finite_f32(in, name, t.shape));
  }
  opt.set_step_count(steps);
}

void save_parameters(const nn::Model<float>& model, const std::string& prefix, TensorDict& out) {
  for (const nn::TensorInfo& t : model.parameters())
    out.insert(prefix + t.name, Tensor::f32(model.parameter(t.name), t.shape));
}

void restore_parameters(nn::Model<float>& model, const std::string& prefix, const TensorDict& in) {
  for (const nn::TensorInfo& t : model.parameters()) {
    const std::vector<float> v = finite_f32(in, prefix + t.name, t.shape);
    model.set_parameter(t.name, t.shape, v);
  }
}

void save_rng(const Rng& rng, const std::string& name, TensorDict& out) {
  out.insert(name, Tensor::from_values<uint64_t>(rng.state().to_words(), {6}));
}

void restore_rng(Rng& rng, const std::string& name, const TensorDict& in) {
  const std::vector<uint64_t> w = in.expect(name, DType::u64, {6}).to_vector<uint64_t>();
  // PCG64's increment is odd; the cached-normal flag is 0 or 1.
  if ((w[3] & 1) == 0 || w[4] > 1) {
    throw Error(in.source() + ": tensor '" + name + "' is not a generator state");
  }
  rng.set_state(RngState::from_words(std::span<const uint64_t, 6>(w.data(), 6)));
}

void save_scalar(double value, const std::string& name, TensorDict& out) {
  out.insert(name, Tensor::f64(std::span<const double>(&value, 1), {}));
}

double restore_scalar(const std::string& name, const TensorDict& in) {
  const double v = in.expect(name, DType::f64, {}).to_vector<double>()[0];
  if (!std::isfinite(v)) throw Error(in.source() + ": tensor '" + name + "' is not finite");
  return v;
}

void save_integer(int64_t value, const std::string& name, TensorDict& out) {
  out.insert(name, Tensor::i64(std::span<const int64_t>(&value, 1), {}));
}

int64_t restore_integer(const std::string& name, const TensorDict& in) {
  return in.expect(name, DType::i64, {}).to_vector<int64_t>()[0];
}

}  // namespace cairn::training_state
