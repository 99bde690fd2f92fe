#include "cairn/env/multi_agent_env_checker.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/error.h"

namespace cairn {
namespace {

[[noreturn]] void fail(const MultiAgentEnv& env, const std::string& what) {
  throw Error("check_multi_agent_env: " + env.name() + ": " + what);
}

std::string agent_name(const MultiAgentEnv& env, size_t agent) {
  return "agent '" + env.possible_agents()[agent] + "'";
}

std::string seed_string(std::optional<uint64_t> seed) {
  return seed ? "reset(seed=" + std::to_string(*seed) + ")" : "reset() without a seed";
}

// Why `obs` is not a finite value of `space`, or an empty string. Integer observations are
// stored as floats and must hold integers.
std::string explain_bad_observation(const Space& space, const std::vector<float>& obs) {
  for (size_t k = 0; k < obs.size(); ++k) {
    if (!std::isfinite(obs[k])) {
      return "element " + std::to_string(k) + " is not finite (" + std::to_string(obs[k]) + ")";
    }
  }
  if (space.is_box()) return space.explain_not_contained(obs);
  // 2^63: a float at or beyond it in magnitude is no int64_t (converting it is undefined).
  constexpr float kInt64Limit = 9223372036854775808.0f;
  std::vector<int64_t> values(obs.size());
  for (size_t k = 0; k < obs.size(); ++k) {
    const std::string element = "element " + std::to_string(k) + " (" + std::to_string(obs[k]);
    if (obs[k] != std::floor(obs[k])) return element + ") is not an integer";
    if (!(obs[k] > -kInt64Limit && obs[k] < kInt64Limit)) {
      return element + ") is outside " + space.to_string();
    }
    values[k] = static_cast<int64_t>(obs[k]);
  }
  return space.explain_not_contained(values);
}

// Draws each live agent's actions from a generator of its own (stream 1 + agent of the seed,
// as check_env uses stream 1 for its single agent), so that two rollouts with the same seed
// draw the same actions whenever the same agents are live.
class RandomAgentActions {
 public:
  RandomAgentActions(const MultiAgentEnv& env, uint64_t seed) {
    for (size_t i = 0; i < env.num_possible_agents(); ++i) {
      const Space& space = env.action_space(i);
      sources_.push_back({space, Rng::stream(seed, 1 + i), std::vector<int64_t>(space.size()),
                          std::vector<float>(space.size())});
    }
  }

  void draw(std::span<const size_t> live, MultiAgentActions& actions) {
    actions.clear();
    for (const size_t i : live) {
      Source& s = sources_[i];
      if (s.space.is_integer()) {
        s.space.sample(s.rng, std::span<int64_t>(s.ints));
        actions.set(i, std::span<const int64_t>(s.ints));
        continue;
      }
      if (s.space.bounded()) {
        s.space.sample(s.rng, std::span<float>(s.floats));
      } else {
        // Unbounded Box actions: small normal values keep the rollout sensible.
        for (float& f : s.floats) f = static_cast<float>(s.rng.normal());
      }
      actions.set(i, std::span<const float>(s.floats));
    }
  }

 private:
  struct Source {
    const Space& space;
    Rng rng;
    std::vector<int64_t> ints;
    std::vector<float> floats;
  };
  std::vector<Source> sources_;
};

// What one reset() or step() reported.
struct CheckedCall {
  std::vector<size_t> live;  // agents() after the call
  MultiAgentStep out;
};

struct CheckedEpisode {
  std::vector<CheckedCall> calls;  // the reset, then the steps
  bool ended = false;
};

void check_observation(const MultiAgentEnv& env, const MultiAgentStep& out, size_t agent,
                       const std::string& when) {
  const std::string why =
      explain_bad_observation(env.observation_space(agent), out.observations[agent]);
  if (!why.empty()) {
    fail(env, when + ": the observation of " + agent_name(env, agent) +
                  " is not a finite value of " + env.observation_space(agent).to_string() + ": " +
                  why);
  }
}

void check_live_list(const MultiAgentEnv& env, const std::string& when) {
  std::vector<size_t> expected;
  for (size_t i = 0; i < env.num_possible_agents(); ++i) {
    if (env.is_live(i)) expected.push_back(i);
  }
  const std::span<const size_t> live = env.agents();
  if (!std::equal(live.begin(), live.end(), expected.begin(), expected.end())) {
    fail(env, when + ": agents() does not list exactly the live agents");
  }
  if (env.episode_active() != !live.empty()) {
    fail(env, when + ": episode_active() disagrees with agents()");
  }
}

void check_reset_result(const MultiAgentEnv& env, const MultiAgentStep& out,
                        const std::string& when) {
  check_live_list(env, when);
  if (env.agents().empty()) fail(env, when + ": no agent is live after the reset");
  for (size_t i = 0; i < env.num_possible_agents(); ++i) {
    const std::string agent = agent_name(env, i);
    if (env.is_live(i) && out.has_observation[i] == 0) {
      fail(env, when + ": " + agent + " is live but has no observation");
    }
    if (!env.is_live(i) && out.has_observation[i] != 0) {
      fail(env, when + ": " + agent + " has an observation but is not live");
    }
    if (out.acted[i] != 0 || out.terminated[i] != 0 || out.truncated[i] != 0 ||
        out.rewards[i] != 0.0) {
      fail(env, when + ": " + agent + " has a reward, acted or ended in a reset");
    }
    if (out.has_observation[i] != 0) check_observation(env, out, i, when);
  }
}

void check_step_result(const MultiAgentEnv& env, const std::vector<size_t>& live_before,
                       const MultiAgentStep& out, const std::string& when) {
  check_live_list(env, when);
  for (size_t i = 0; i < env.num_possible_agents(); ++i) {
    const std::string agent = agent_name(env, i);
    const bool was_live = std::find(live_before.begin(), live_before.end(), i) != live_before.end();
    const bool is_live = env.is_live(i);
    const bool ended = out.terminated[i] != 0 || out.truncated[i] != 0;
    if (was_live) {
      if (out.acted[i] == 0) {
        fail(env, when + ": " + agent + " was live but is not marked as having acted");
      }
      if (out.has_observation[i] == 0) {
        fail(env, when + ": " + agent + " acted but has no observation");
      }
      if (!std::isfinite(out.rewards[i])) {
        fail(env, when + ": " + agent + " got a non-finite reward (" +
                      std::to_string(out.rewards[i]) + ")");
      }
      if (ended && is_live) {
        fail(env, when + ": " + agent + " terminated or was truncated but is still live");
      }
      // Leaving without an end, and a reward or an end without acting, are refused by
      // MultiAgentEnv::step itself (the checker sees its error).
    } else {
      if (out.acted[i] != 0) {
        fail(env, when + ": " + agent + " was not live but is marked as having acted");
      }
      if (is_live && out.has_observation[i] == 0) {
        fail(env, when + ": " + agent + " joined without a first observation");
      }
      if (!is_live && out.has_observation[i] != 0) {
        fail(env, when + ": " + agent + " neither acted nor is live but has an observation");
      }
    }
    if (out.has_observation[i] != 0) check_observation(env, out, i, when);
  }
}

// Resets with `seed` and steps with random actions (from `action_seed`) until the episode is
// over or `steps` steps were taken, checking every result. Errors the environment throws are
// reported with the call they came from.
CheckedEpisode roll(MultiAgentEnv& env, std::optional<uint64_t> seed, int steps,
                    uint64_t action_seed) {
  CheckedEpisode record;
  MultiAgentStep out = env.make_step_buffers();
  MultiAgentActions actions = env.make_actions();
  RandomAgentActions source(env, action_seed);
  const std::string episode = seed_string(seed);
  try {
    env.reset(out, seed);
  } catch (const Error& e) {
    fail(env, episode + " failed: " + e.what());
  }
  check_reset_result(env, out, episode);
  record.calls.push_back({std::vector<size_t>(env.agents().begin(), env.agents().end()), out});
  for (int t = 0; t < steps && env.episode_active(); ++t) {
    const std::string when = "step " + std::to_string(t) + " after " + episode;
    const std::vector<size_t> live_before(env.agents().begin(), env.agents().end());
    source.draw(live_before, actions);
    try {
      env.step(actions, out);
    } catch (const Error& e) {
      fail(env, when + " failed: " + e.what());
    }
    check_step_result(env, live_before, out, when);
    record.calls.push_back({std::vector<size_t>(env.agents().begin(), env.agents().end()), out});
  }
  record.ended = !env.episode_active();
  return record;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

// What differs for `agent` between two records of the same call, or an empty string.
std::string difference(const MultiAgentStep& a, const MultiAgentStep& b, size_t agent) {
  if (a.has_observation[agent] != b.has_observation[agent]) return "whether it has an observation";
  if (a.has_observation[agent] != 0 && !same_bits(a.observations[agent], b.observations[agent])) {
    return "its observation";
  }
  if (std::bit_cast<uint64_t>(a.rewards[agent]) != std::bit_cast<uint64_t>(b.rewards[agent])) {
    return "its reward";
  }
  if (a.acted[agent] != b.acted[agent] || a.terminated[agent] != b.terminated[agent] ||
      a.truncated[agent] != b.truncated[agent]) {
    return "its flags";
  }
  return {};
}

// Fails unless two rollouts (`what` says how they were made) reported the same, bit for bit.
void compare_episodes(const MultiAgentEnv& env, const CheckedEpisode& a, const CheckedEpisode& b,
                      const std::string& what) {
  const size_t n = std::min(a.calls.size(), b.calls.size());
  for (size_t c = 0; c < n; ++c) {
    const std::string call = c == 0 ? "the reset" : "step " + std::to_string(c - 1);
    for (size_t i = 0; i < env.num_possible_agents(); ++i) {
      const std::string why = difference(a.calls[c].out, b.calls[c].out, i);
      if (!why.empty()) {
        fail(env, what + " gave different results at " + call + ": " + agent_name(env, i) +
                      " differs in " + why);
      }
    }
    if (a.calls[c].live != b.calls[c].live) {
      fail(env, what + " gave different live agents after " + call);
    }
  }
  if (a.calls.size() != b.calls.size() || a.ended != b.ended) {
    fail(env, what + " gave episodes of different lengths");
  }
}

void check_agents_and_spaces(const MultiAgentEnv& env) {
  if (env.num_possible_agents() == 0) fail(env, "there are no possible agents");
  for (size_t i = 0; i < env.num_possible_agents(); ++i) {
    const std::string agent = agent_name(env, i);
    size_t index = 0;
    try {
      index = env.agent_index(env.possible_agents()[i]);
    } catch (const Error& e) {
      fail(env, "agent_index() of " + agent + " failed: " + e.what());
    }
    if (index != i) {
      fail(env, "agent_index() does not find " + agent + " at its position " + std::to_string(i));
    }
    for (const Space* space : {&env.observation_space(i), &env.action_space(i)}) {
      const char* which = space == &env.observation_space(i) ? "observation" : "action";
      bool round_trips = false;
      try {
        round_trips = Space::from_json(space->to_json()) == *space;
      } catch (const Error& e) {
        fail(env, "the " + std::string(which) + " space " + space->to_string() + " of " + agent +
                      " is not valid: " + e.what());
      }
      if (!round_trips) {
        fail(env, "the " + std::string(which) + " space " + space->to_string() + " of " + agent +
                      " does not round-trip through JSON");
      }
    }
  }
}

}  // namespace

void check_multi_agent_env(MultiAgentEnv& env, uint64_t seed, int max_steps) {
  check_agents_and_spaces(env);

  // Determinism under the same seed and actions.
  const int compare_steps = std::min(max_steps, 50);
  const CheckedEpisode a = roll(env, seed, compare_steps, seed);
  const CheckedEpisode b = roll(env, seed, compare_steps, seed);
  compare_episodes(env, a, b, seed_string(seed) + " twice with the same actions");

  // reset() without a seed continues the generator seeded by the last reset(seed), so the
  // sequence reset(seed), reset() is reproducible. (An environment that drew fresh entropy
  // for it would not be.)
  const uint64_t continued = seed + 1;
  roll(env, continued, 0, continued);
  const CheckedEpisode first = roll(env, std::nullopt, compare_steps, continued);
  roll(env, continued, 0, continued);
  const CheckedEpisode second = roll(env, std::nullopt, compare_steps, continued);
  compare_episodes(env, first, second,
                   "reset() without a seed after " + seed_string(continued) +
                       ", repeated with the same actions,");

  // An episode that ends must refuse further steps until reset.
  const CheckedEpisode last = roll(env, seed + 2, max_steps, seed + 2);
  if (last.ended) {
    MultiAgentStep out = env.make_step_buffers();
    MultiAgentActions none = env.make_actions();
    bool refused = false;
    try {
      env.step(none, out);
    } catch (const Error&) {
      refused = true;
    }
    if (!refused) fail(env, "step() after the episode was over was not refused");
  }
}

}  // namespace cairn
