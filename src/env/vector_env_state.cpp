// VectorEnv::save_state / restore_state: the vector environment as tensors, for
// checkpoints that resume training bit-identically.
#include <bit>
#include <cstring>

#include "cairn/env/time_limit.h"
#include "cairn/env/vector_env.h"
#include "cairn/error.h"

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
  const size_t n = num_envs_;
  const size_t state_dim = envs_[0]->unwrapped().get_state().size();
  // One record per environment: its physical state, its generator's six words and its
  // TimeLimit count, this process's first, then (distributed) every rank's gathered.
  const size_t record = state_dim + 7;
  std::vector<uint64_t> mine(envs_.size() * record);
  for (size_t li = 0; li < envs_.size(); ++li) {
    const Env& e = *envs_[li];
    const std::vector<double> s = e.unwrapped().get_state();
    if (s.size() != state_dim)
      throw Error("VectorEnv::save_state: environments have different state sizes");
    uint64_t* r = mine.data() + li * record;
    std::memcpy(r, s.data(), state_dim * sizeof(double));
    const std::array<uint64_t, 6> w = e.unwrapped().np_random().state().to_words();
    std::copy(w.begin(), w.end(), r + state_dim);
    const TimeLimit* limit = find_time_limit(const_cast<Env&>(e));
    const int64_t elapsed = limit ? limit->elapsed_steps() : -1;
    std::memcpy(r + state_dim + 6, &elapsed, sizeof elapsed);
  }
  std::vector<uint64_t> all;
  if (comm_) {
    all.resize(n * record);
    std::vector<size_t> counts;
    for (int r = 0; r < comm_->size(); ++r) {
      const distributed::Share share = distributed::share_of(n, r, comm_->size());
      counts.push_back((share.end - share.begin) * record * sizeof(uint64_t));
    }
    comm_->all_gather(std::as_bytes(std::span<const uint64_t>(mine)),
                      std::as_writable_bytes(std::span<uint64_t>(all)), counts);
  } else {
    all = std::move(mine);
  }
  std::vector<double> states(n * state_dim);
  std::vector<uint64_t> rngs(n * 6);
  std::vector<int64_t> elapsed(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t* r = all.data() + i * record;
    std::memcpy(states.data() + i * state_dim, r, state_dim * sizeof(double));
    std::copy(r + state_dim, r + state_dim + 6, rngs.begin() + static_cast<std::ptrdiff_t>(i * 6));
    std::memcpy(&elapsed[i], r + state_dim + 6, sizeof(int64_t));
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
  const int64_t n = static_cast<int64_t>(num_envs_);
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
  for (size_t li = 0; li < envs_.size(); ++li) {
    const size_t i = first_ + li;
    Env& env = *envs_[li];
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
