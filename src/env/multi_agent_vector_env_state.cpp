// MultiAgentVectorEnv::save_state / restore_state: the multi-agent vector environment as
// tensors, for checkpoints that resume training bit-identically.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cairn/env/multi_agent_vector_env.h"
#include "cairn/error.h"

namespace cairn {
namespace {

std::string copy_prefix(const std::string& prefix, size_t k) {
  return prefix + "copy_" + std::to_string(k) + "/";
}

}  // namespace

bool MultiAgentVectorEnv::can_save_state() const {
  return std::all_of(envs_.begin(), envs_.end(), [](const auto& e) { return e->has_state(); });
}

void MultiAgentVectorEnv::save_state(TensorDict& out, const std::string& prefix) const {
  for (const auto& e : envs_) {
    if (!e->has_state()) {
      throw Error("MultiAgentVectorEnv::save_state: " + e->name() + " does not expose its state");
    }
  }
  if (!started_) throw Error("MultiAgentVectorEnv::save_state: reset() was never called");
  const MultiAgentEnv& first = *envs_[0];
  const size_t n = envs_.size(), agents = first.num_possible_agents();
  size_t obs_values = 0;
  for (size_t i = 0; i < agents; ++i) obs_values += first.observation_space(i).size();
  std::vector<uint64_t> rngs(n * 6);
  std::vector<uint8_t> live(n * agents);
  std::vector<float> obs(n * obs_values);
  std::vector<double> returns(n * agents);
  std::vector<int64_t> agent_lengths(n * agents), lengths(n);
  for (size_t k = 0; k < n; ++k) {
    const MultiAgentEnv& env = *envs_[k];
    const std::array<uint64_t, 6> w = env.np_random().state().to_words();
    std::copy(w.begin(), w.end(), rngs.begin() + static_cast<std::ptrdiff_t>(k * 6));
    float* o = obs.data() + k * obs_values;
    for (size_t i = 0; i < agents; ++i) {
      live[k * agents + i] = env.is_live(i) ? 1 : 0;
      const std::vector<float>& row = next_[k].observations[i];
      o = std::copy(row.begin(), row.end(), o);
      returns[k * agents + i] = running_[k].agent_returns[i];
      agent_lengths[k * agents + i] = running_[k].agent_lengths[i];
    }
    lengths[k] = running_[k].length;
  }
  const int64_t ni = static_cast<int64_t>(n), ai = static_cast<int64_t>(agents);
  out.insert(prefix + "np_random", Tensor::from_values<uint64_t>(rngs, {ni, 6}));
  out.insert(prefix + "live", Tensor::u8(live, {ni, ai}));
  out.insert(prefix + "observations", Tensor::f32(obs, {ni, static_cast<int64_t>(obs_values)}));
  out.insert(prefix + "episode_return", Tensor::f64(returns, {ni, ai}));
  out.insert(prefix + "agent_episode_length", Tensor::i64(agent_lengths, {ni, ai}));
  out.insert(prefix + "episode_length", Tensor::i64(lengths, {ni}));
  for (size_t k = 0; k < n; ++k) envs_[k]->save_state(out, copy_prefix(prefix, k));
}

void MultiAgentVectorEnv::restore_state(const TensorDict& in, const std::string& prefix) {
  started_ = false;  // until everything is restored: a failed restore leaves reset() to follow
  const MultiAgentEnv& first = *envs_[0];
  const size_t n = envs_.size(), agents = first.num_possible_agents();
  size_t obs_values = 0;
  for (size_t i = 0; i < agents; ++i) obs_values += first.observation_space(i).size();
  const int64_t ni = static_cast<int64_t>(n), ai = static_cast<int64_t>(agents);
  const std::vector<uint64_t> rngs =
      in.expect(prefix + "np_random", DType::u64, {ni, 6}).to_vector<uint64_t>();
  const std::vector<uint8_t> live =
      in.expect(prefix + "live", DType::u8, {ni, ai}).to_vector<uint8_t>();
  const std::vector<float> obs =
      in.expect(prefix + "observations", DType::f32, {ni, static_cast<int64_t>(obs_values)})
          .to_vector<float>();
  const std::vector<double> returns =
      in.expect(prefix + "episode_return", DType::f64, {ni, ai}).to_vector<double>();
  const std::vector<int64_t> agent_lengths =
      in.expect(prefix + "agent_episode_length", DType::i64, {ni, ai}).to_vector<int64_t>();
  const std::vector<int64_t> lengths =
      in.expect(prefix + "episode_length", DType::i64, {ni}).to_vector<int64_t>();
  const auto fail = [&](const std::string& tensor, size_t k, const std::string& why) {
    return Error(in.source() + ": tensor '" + prefix + tensor + "', copy " + std::to_string(k) +
                 ": " + why);
  };
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = 0; i < agents; ++i) {
      if (live[k * agents + i] > 1) {
        throw fail("live", k,
                   "agent '" + first.possible_agents()[i] + "' has the flag " +
                       std::to_string(live[k * agents + i]) + ", not 0 or 1");
      }
      if (agent_lengths[k * agents + i] < 0) {
        throw fail("agent_episode_length", k,
                   "agent '" + first.possible_agents()[i] + "' has a negative length");
      }
    }
    if (lengths[k] < 0) throw fail("episode_length", k, "the length is negative");
  }
  for (size_t k = 0; k < n; ++k) {
    MultiAgentEnv& env = *envs_[k];
    env.restore_state(in, copy_prefix(prefix, k));
    try {
      env.np_random().set_state(
          RngState::from_words(std::span<const uint64_t>(rngs).subspan(k * 6).first<6>()));
    } catch (const Error& e) {
      throw fail("np_random", k, e.what());
    }
    env.restore_live_agents(std::span<const uint8_t>(live).subspan(k * agents, agents));
    MultiAgentStep& next = next_[k];
    const float* o = obs.data() + k * obs_values;
    for (size_t i = 0; i < agents; ++i) {
      std::vector<float>& row = next.observations[i];
      std::copy(o, o + row.size(), row.begin());
      o += row.size();
      next.has_observation[i] = live[k * agents + i];
      next.rewards[i] = 0.0;
      next.acted[i] = 0;
      next.terminated[i] = 0;
      next.truncated[i] = 0;
    }
    results_[k] = next;
    ended_[k] = 0;
    start_statistics(k);
    MultiAgentEpisodeRecord& r = running_[k];
    std::copy(returns.begin() + static_cast<std::ptrdiff_t>(k * agents),
              returns.begin() + static_cast<std::ptrdiff_t>((k + 1) * agents),
              r.agent_returns.begin());
    std::copy(agent_lengths.begin() + static_cast<std::ptrdiff_t>(k * agents),
              agent_lengths.begin() + static_cast<std::ptrdiff_t>((k + 1) * agents),
              r.agent_lengths.begin());
    r.length = lengths[k];
  }
  finished_.clear();
  started_ = true;
}

}  // namespace cairn
