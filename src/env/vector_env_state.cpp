// VectorEnv::save_state / restore_state: the vector environment as tensors, for
// checkpoints that resume training bit-identically.
#include <bit>

#include "cairn/error.h"
#include "cairn/env/time_limit.h"
#include "cairn/env/vector_env.h"

namespace cairn {
namespace {

// The TimeLimit in a chain of wrappers, if any.
TimeLimit* find_time_limit(Env& env) {
  Env* e = &env;
  while (auto* w = dynamic_cast<Wrapper*>(e)) {
    if (auto* t = dynamic_cast<TimeLimit*>(w)) return t;
    e = &w->env();
  }
  return nullptr;
}

}  // namespace

bool VectorEnv::can_save_state() const {
  for (const auto& e : envs_) {
    if (!e->unwrapped().has_state()) return false;
  }
  return true;
}

void VectorEnv::save_state(TensorDict& out, const std::string& prefix) const {
  if (!can_save_state())
    throw Error("VectorEnv::save_state: an environment does not expose its state");
  if (!was_reset_) throw Error("VectorEnv::save_state: reset() was never called");
  const size_t n = envs_.size();
  const size_t state_dim = envs_[0]->unwrapped().get_state().size();
  std::vector<double> states;
  std::vector<uint64_t> rngs;
  std::vector<int64_t> elapsed;
  for (const auto& e : envs_) {
    const std::vector<double> s = e->unwrapped().get_state();
    if (s.size() != state_dim)
      throw Error("VectorEnv::save_state: environments have different state sizes");
    states.insert(states.end(), s.begin(), s.end());
    const std::array<uint64_t, 6> w = e->unwrapped().np_random().state().to_words();
    rngs.insert(rngs.end(), w.begin(), w.end());
    const TimeLimit* limit = find_time_limit(*e);
    elapsed.push_back(limit ? limit->elapsed_steps() : -1);
  }
  const int64_t ni = static_cast<int64_t>(n);
  out.insert(prefix + "physical_state", Tensor::f64(states, {ni, static_cast<int64_t>(state_dim)}));
  out.insert(prefix + "np_random", Tensor::from_values<uint64_t>(rngs, {ni, 6}));
  out.insert(prefix + "elapsed_steps", Tensor::i64(elapsed, {ni}));
  out.insert(prefix + "observations",
             Tensor::f32(observations_, {ni, static_cast<int64_t>(obs_size_)}));
  out.insert(prefix + "episode_return", Tensor::f64(running_return_, {ni}));
  out.insert(prefix + "episode_length", Tensor::i64(running_length_, {ni}));
}

void VectorEnv::restore_state(const TensorDict& in, const std::string& prefix) {
  const int64_t n = static_cast<int64_t>(envs_.size());
  const Tensor& states = in.at(prefix + "physical_state");
  if (states.shape().size() != 2 || states.shape()[0] != n) {
    throw Error(in.source() + ": tensor '" + prefix + "physical_state' has shape " +
                shape_string(states.shape()) + " for " + std::to_string(n) + " environments");
  }
  const int64_t state_dim = states.shape()[1];
  const std::vector<double> s =
      in.expect(prefix + "physical_state", DType::f64, {n, state_dim}).to_vector<double>();
  const std::vector<uint64_t> rngs =
      in.expect(prefix + "np_random", DType::u64, {n, 6}).to_vector<uint64_t>();
  const std::vector<int64_t> elapsed =
      in.expect(prefix + "elapsed_steps", DType::i64, {n}).to_vector<int64_t>();
  in.expect(prefix + "observations", DType::f32, {n, static_cast<int64_t>(obs_size_)})
      .copy_to(std::span<float>(observations_));
  in.expect(prefix + "episode_return", DType::f64, {n}).copy_to(std::span<double>(running_return_));
  in.expect(prefix + "episode_length", DType::i64, {n})
      .copy_to(std::span<int64_t>(running_length_));
  const size_t d = static_cast<size_t>(state_dim);
  for (size_t i = 0; i < envs_.size(); ++i) {
    Env& env = *envs_[i];
    try {
      env.unwrapped().set_state(std::span<const double>(s).subspan(i * d, d));
      env.unwrapped().np_random().set_state(
          RngState::from_words(std::span<const uint64_t>(rngs).subspan(i * 6).first<6>()));
      TimeLimit* limit = find_time_limit(env);
      if (limit && elapsed[i] >= 0) limit->set_elapsed_steps(elapsed[i]);
    } catch (const Error& e) {
      throw Error(in.source() + ": environment " + std::to_string(i) + ": " + e.what());
    }
    env.resume_episode();
  }
  finished_.clear();
  was_reset_ = true;
}

}  // namespace cairn
