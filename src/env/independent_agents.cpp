#include "cairn/env/independent_agents.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "cairn/env/time_limit.h"
#include "cairn/error.h"

namespace cairn {
namespace {

std::vector<std::string> agent_ids(size_t n, const std::string& prefix) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

template <typename Member>
std::vector<Space> spaces_of(const std::vector<std::unique_ptr<Env>>& envs, Member member) {
  std::vector<Space> spaces;
  for (size_t i = 0; i < envs.size(); ++i) {
    if (!envs[i]) throw Error("IndependentAgents: environment " + std::to_string(i) + " is null");
    spaces.push_back(((*envs[i]).*member)());
  }
  return spaces;
}

// The TimeLimit in a chain of wrappers, if any (as VectorEnv's state finds it); const if
// `env` is.
template <typename E>
auto* time_limit_of(E& env) {
  using Limit = std::conditional_t<std::is_const_v<E>, const TimeLimit, TimeLimit>;
  using Wrap = std::conditional_t<std::is_const_v<E>, const Wrapper, Wrapper>;
  E* e = &env;
  while (auto* w = dynamic_cast<Wrap*>(e)) {
    if (auto* t = dynamic_cast<Limit*>(w)) return t;
    e = &w->env();
  }
  return static_cast<Limit*>(nullptr);
}

}  // namespace

IndependentAgents::IndependentAgents(std::vector<std::unique_ptr<Env>> envs,
                                     const std::string& prefix)
    : MultiAgentEnv(agent_ids(envs.size(), prefix), spaces_of(envs, &Env::observation_space),
                    spaces_of(envs, &Env::action_space)),
      envs_(std::move(envs)) {}

void IndependentAgents::do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) {
  for (size_t i = 0; i < envs_.size(); ++i) {
    std::optional<uint64_t> own;
    if (seed) own = *seed + i;
    envs_[i]->reset(out.observations[i], own);
    out.has_observation[i] = 1;
    set_live(i, true);
  }
}

void IndependentAgents::do_step(const MultiAgentActions& actions, MultiAgentStep& out) {
  for (const size_t i : agents()) {
    const StepResult r = envs_[i]->step(actions.get(i), out.observations[i]);
    out.has_observation[i] = 1;
    out.rewards[i] = r.reward;
    out.terminated[i] = r.terminated ? 1 : 0;
    out.truncated[i] = r.truncated ? 1 : 0;
  }
}

bool IndependentAgents::has_state() const {
  return std::all_of(envs_.begin(), envs_.end(),
                     [](const auto& e) { return e->unwrapped().has_state(); });
}

void IndependentAgents::save_state(TensorDict& out, const std::string& prefix) const {
  if (!has_state()) {
    throw Error(name() + ".save_state: an agent's environment does not expose its state");
  }
  const size_t agents = envs_.size();
  std::vector<double> states;
  std::vector<int64_t> sizes(agents), elapsed(agents);
  std::vector<uint64_t> rngs(agents * 6);
  for (size_t i = 0; i < agents; ++i) {
    const Env& e = *envs_[i];
    const std::vector<double> s = e.unwrapped().get_state();
    states.insert(states.end(), s.begin(), s.end());
    sizes[i] = static_cast<int64_t>(s.size());
    const std::array<uint64_t, 6> w = e.unwrapped().np_random().state().to_words();
    std::copy(w.begin(), w.end(), rngs.begin() + static_cast<std::ptrdiff_t>(i * 6));
    // An agent that is not live has its environment reset before it steps again, which
    // restarts the count: 0 stands for the count it may hold (up to its limit).
    const TimeLimit* limit = time_limit_of(e);
    elapsed[i] = !limit ? -1 : is_live(i) ? limit->elapsed_steps() : 0;
  }
  const int64_t ai = static_cast<int64_t>(agents);
  out.insert(prefix + "physical_state", Tensor::f64(states, {static_cast<int64_t>(states.size())}));
  out.insert(prefix + "state_sizes", Tensor::i64(sizes, {ai}));
  out.insert(prefix + "np_random", Tensor::from_values<uint64_t>(rngs, {ai, 6}));
  out.insert(prefix + "elapsed_steps", Tensor::i64(elapsed, {ai}));
}

void IndependentAgents::restore_state(const TensorDict& in, const std::string& prefix) {
  const size_t agents = envs_.size();
  const int64_t ai = static_cast<int64_t>(agents);
  const std::vector<int64_t> sizes =
      in.expect(prefix + "state_sizes", DType::i64, {ai}).to_vector<int64_t>();
  int64_t total = 0;
  for (size_t i = 0; i < agents; ++i) {
    if (sizes[i] < 0 || sizes[i] > (int64_t{1} << 40)) {
      throw Error(in.source() + ": tensor '" + prefix + "state_sizes': agent '" +
                  possible_agents()[i] + "' has the size " + std::to_string(sizes[i]));
    }
    total += sizes[i];
  }
  const std::vector<double> states =
      in.expect(prefix + "physical_state", DType::f64, {total}).to_vector<double>();
  const std::vector<uint64_t> rngs =
      in.expect(prefix + "np_random", DType::u64, {ai, 6}).to_vector<uint64_t>();
  const std::vector<int64_t> elapsed =
      in.expect(prefix + "elapsed_steps", DType::i64, {ai}).to_vector<int64_t>();
  size_t offset = 0;
  for (size_t i = 0; i < agents; ++i) {
    Env& env = *envs_[i];
    const size_t size = static_cast<size_t>(sizes[i]);
    std::string tensor = "physical_state";
    try {
      env.unwrapped().set_state(std::span<const double>(states).subspan(offset, size));
      offset += size;
      tensor = "np_random";
      env.unwrapped().np_random().set_state(
          RngState::from_words(std::span<const uint64_t>(rngs).subspan(i * 6).first<6>()));
      tensor = "elapsed_steps";
      TimeLimit* found = time_limit_of(env);
      if ((found != nullptr) != (elapsed[i] >= 0)) {
        throw Error(found ? "the environment has a TimeLimit but no count was saved"
                          : "a count was saved but the environment has no TimeLimit");
      }
      if (found) found->set_elapsed_steps(elapsed[i]);
    } catch (const Error& e) {
      throw Error(in.source() + ": tensor '" + prefix + tensor + "': agent '" +
                  possible_agents()[i] + "': " + e.what());
    }
    env.resume_episode();
  }
}

}  // namespace cairn
