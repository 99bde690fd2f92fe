#include "cairn/checkpoint/state_tensors.h"

#include <vector>

#include "cairn/error.h"
#include "cairn/nn/finite.h"

namespace cairn {

void save_optimizer_state(const nn::Optimizer<float>& optimizer, const std::string& prefix,
                          TensorDict& out) {
  for (const nn::TensorInfo& t : optimizer.state_tensors())
    out.insert(prefix + t.name, Tensor::f32(optimizer.state(t.name), t.shape));
  const int64_t steps = optimizer.step_count();
  out.insert(prefix + "step_count", Tensor::i64(std::span<const int64_t>(&steps, 1), {}));
}

void restore_optimizer_state(nn::Optimizer<float>& optimizer, const std::string& prefix,
                             const TensorDict& in) {
  for (const nn::TensorInfo& t : optimizer.state_tensors()) {
    const std::string name = prefix + t.name;
    if (!in.contains(name)) throw Error(in.source() + ": missing tensor '" + name + "'");
    const Tensor& v = in.at(name);
    if (v.dtype() != DType::f32) throw Error(in.source() + ": tensor '" + name + "' must be F32");
    try {
      optimizer.set_state(t.name, v.shape(), v.to_vector<float>());
    } catch (const Error& e) {
      throw Error(in.source() + ": tensor '" + name + "': " + e.what());
    }
  }
  int64_t steps = 0;
  in.expect(prefix + "step_count", DType::i64, {}).copy_to(std::span<int64_t>(&steps, 1));
  if (steps < 0) throw Error(in.source() + ": tensor '" + prefix + "step_count' is negative");
  optimizer.set_step_count(steps);
}

void save_rng_state(const Rng& rng, const std::string& name, TensorDict& out) {
  out.insert(name, Tensor::from_values<uint64_t>(rng.state().to_words(), {6}));
}

void check_rng_state(const TensorDict& in, const std::string& name) {
  const std::vector<uint64_t> w = in.expect(name, DType::u64, {6}).to_vector<uint64_t>();
  // PCG64's increment is odd; the cached-normal flag is 0 or 1.
  if ((w[3] & 1) == 0 || w[4] > 1) {
    throw Error(in.source() + ": tensor '" + name + "' is not a generator state");
  }
}

void restore_rng_state(Rng& rng, const std::string& name, const TensorDict& in) {
  check_rng_state(in, name);
  const std::vector<uint64_t> w = in.at(name).to_vector<uint64_t>();
  rng.set_state(RngState::from_words(std::span<const uint64_t, 6>(w.data(), 6)));
}

void check_state_finite(const TensorDict& in) {
  for (const auto& [name, t] : in) {
    std::string bad;
    if (t.dtype() == DType::f32) {
      const std::vector<float> v = t.to_vector<float>();
      const size_t i = nn::first_non_finite(std::span<const float>(v));
      if (i < v.size()) bad = "element " + std::to_string(i) + " is " + nn::non_finite_name(v[i]);
    } else if (t.dtype() == DType::f64) {
      const std::vector<double> v = t.to_vector<double>();
      const size_t i = nn::first_non_finite(std::span<const double>(v));
      if (i < v.size()) bad = "element " + std::to_string(i) + " is " + nn::non_finite_name(v[i]);
    }
    if (!bad.empty()) {
      throw Error(in.source() + ": tensor '" + name + "' holds non-finite values (" + bad + ")");
    }
  }
}

}  // namespace cairn
