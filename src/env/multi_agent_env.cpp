#include "cairn/env/multi_agent_env.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "cairn/error.h"

namespace cairn {

void MultiAgentActions::resize(size_t num_possible_agents) {
  given_.assign(num_possible_agents, 0);
  discrete_.resize(num_possible_agents);
  continuous_.resize(num_possible_agents);
}

void MultiAgentActions::clear() {
  std::fill(given_.begin(), given_.end(), uint8_t{0});
}

void MultiAgentActions::set(size_t agent, int64_t action) {
  set(agent, std::span<const int64_t>(&action, 1));
}

void MultiAgentActions::set(size_t agent, std::span<const int64_t> action) {
  discrete_.at(agent).assign(action.begin(), action.end());
  continuous_[agent].clear();
  given_[agent] = 1;
}

void MultiAgentActions::set(size_t agent, std::span<const float> action) {
  continuous_.at(agent).assign(action.begin(), action.end());
  discrete_[agent].clear();
  given_[agent] = 1;
}

ActionRef MultiAgentActions::get(size_t agent) const {
  return ActionRef{discrete_.at(agent), continuous_.at(agent)};
}

MultiAgentEnv::MultiAgentEnv(std::vector<std::string> possible_agents,
                             std::vector<Space> observation_spaces,
                             std::vector<Space> action_spaces)
    : possible_agents_(std::move(possible_agents)),
      observation_spaces_(std::move(observation_spaces)),
      action_spaces_(std::move(action_spaces)) {
  if (possible_agents_.empty()) throw Error("MultiAgentEnv: there must be at least one agent");
  std::set<std::string> seen;
  for (const std::string& id : possible_agents_) {
    if (id.empty()) throw Error("MultiAgentEnv: an agent id is empty");
    if (!seen.insert(id).second) throw Error("MultiAgentEnv: agent id '" + id + "' is repeated");
  }
  if (observation_spaces_.size() != possible_agents_.size() ||
      action_spaces_.size() != possible_agents_.size()) {
    throw Error("MultiAgentEnv: " + std::to_string(possible_agents_.size()) + " agents need as " +
                "many observation and action spaces, got " +
                std::to_string(observation_spaces_.size()) + " and " +
                std::to_string(action_spaces_.size()));
  }
  live_flags_.assign(possible_agents_.size(), 0);
  live_.reserve(possible_agents_.size());
  set_name(name_);
}

void MultiAgentEnv::set_name(std::string name) {
  name_ = std::move(name);
  action_check_names_.clear();
  for (const std::string& id : possible_agents_) {
    action_check_names_.push_back(name_ + ".step: agent '" + id + "'");
  }
}

bool MultiAgentEnv::clips_box_actions(size_t) const {
  return false;
}

size_t MultiAgentEnv::agent_index(std::string_view id) const {
  for (size_t i = 0; i < possible_agents_.size(); ++i) {
    if (possible_agents_[i] == id) return i;
  }
  std::string known;
  for (const std::string& a : possible_agents_) known += (known.empty() ? "" : ", ") + a;
  throw Error(name_ + ": no agent '" + std::string(id) + "' (the agents are " + known + ")");
}

MultiAgentStep MultiAgentEnv::make_step_buffers() const {
  const size_t n = possible_agents_.size();
  MultiAgentStep out;
  out.observations.resize(n);
  for (size_t i = 0; i < n; ++i) out.observations[i].assign(observation_spaces_[i].size(), 0.0f);
  out.has_observation.assign(n, 0);
  out.rewards.assign(n, 0.0);
  out.acted.assign(n, 0);
  out.terminated.assign(n, 0);
  out.truncated.assign(n, 0);
  return out;
}

void MultiAgentEnv::set_live(size_t agent, bool live) {
  live_flags_.at(agent) = live ? 1 : 0;
}

bool MultiAgentEnv::has_state() const {
  return false;
}

void MultiAgentEnv::save_state(TensorDict&, const std::string&) const {
  throw Error(name_ + ".save_state: this environment does not expose its state");
}

void MultiAgentEnv::restore_state(const TensorDict&, const std::string&) {
  throw Error(name_ + ".restore_state: this environment does not expose its state");
}

void MultiAgentEnv::restore_live_agents(std::span<const uint8_t> live) {
  if (live.size() != possible_agents_.size()) {
    throw Error(name_ + ".restore_live_agents: " + std::to_string(live.size()) + " flags for " +
                std::to_string(possible_agents_.size()) + " agents");
  }
  for (size_t i = 0; i < live.size(); ++i) {
    if (live[i] > 1) {
      throw Error(name_ + ".restore_live_agents: the flag of agent '" + possible_agents_[i] +
                  "' is " + std::to_string(live[i]) + ", not 0 or 1");
    }
  }
  std::copy(live.begin(), live.end(), live_flags_.begin());
  refresh_live();
  seeded_ = true;
  started_ = true;
}

void MultiAgentEnv::end_episode() {
  std::fill(live_flags_.begin(), live_flags_.end(), uint8_t{0});
  live_.clear();
}

void MultiAgentEnv::refresh_live() {
  live_.clear();
  for (size_t i = 0; i < live_flags_.size(); ++i) {
    if (live_flags_[i] != 0) live_.push_back(i);
  }
}

void MultiAgentEnv::check_buffers(const MultiAgentStep& out, const char* method) const {
  const size_t n = possible_agents_.size();
  bool fits = out.observations.size() == n && out.has_observation.size() == n &&
              out.rewards.size() == n && out.acted.size() == n && out.terminated.size() == n &&
              out.truncated.size() == n;
  for (size_t i = 0; fits && i < n; ++i) {
    fits = out.observations[i].size() == observation_spaces_[i].size();
  }
  if (!fits) {
    throw Error(name_ + "." + method +
                ": the result buffers were not made for this environment (use "
                "make_step_buffers())");
  }
}

void MultiAgentEnv::check_observations(const MultiAgentStep& out, const char* method) const {
  for (size_t i = 0; i < possible_agents_.size(); ++i) {
    const bool expected = live_flags_[i] != 0 || out.acted[i] != 0;
    if (out.has_observation[i] != 0 && !expected) {
      throw Error(name_ + "." + method + ": wrote an observation for agent '" +
                  possible_agents_[i] + "', which neither acted nor is live");
    }
    if (expected && out.has_observation[i] == 0) {
      throw Error(name_ + "." + method + ": agent '" + possible_agents_[i] +
                  (live_flags_[i] != 0 ? "' is live" : "' acted") + " but has no observation");
    }
    if (out.has_observation[i] == 0) continue;
    const Space& space = observation_spaces_[i];
    const std::vector<float>& obs = out.observations[i];
    for (size_t k = 0; k < obs.size(); ++k) {
      if (std::isnan(obs[k])) {
        throw Error(name_ + "." + method + ": agent '" + possible_agents_[i] +
                    "' observation element " + std::to_string(k) + " is nan");
      }
    }
    std::string why;
    if (space.is_box()) {
      why = space.explain_not_contained(obs);
    } else {
      std::vector<int64_t> values(obs.size());
      for (size_t k = 0; k < obs.size(); ++k) {
        const float v = obs[k];
        // Range first: converting a float beyond int64's range (or infinite) is undefined.
        if (!std::isfinite(v) || std::fabs(v) > 9.0e15f || v != std::floor(v)) {
          why = "element " + std::to_string(k) + " (" + std::to_string(v) +
                ") is not an integer the space can hold";
          break;
        }
        values[k] = static_cast<int64_t>(v);
      }
      if (why.empty()) why = space.explain_not_contained(values);
    }
    if (!why.empty()) {
      throw Error(name_ + "." + method + ": agent '" + possible_agents_[i] +
                  "' observation is outside its space " + space.to_string() + ": " + why);
    }
  }
}

void MultiAgentEnv::reset(MultiAgentStep& out, std::optional<uint64_t> seed) {
  check_buffers(out, "reset");
  seed_at_reset(np_random_, seeded_, seed);
  std::fill(live_flags_.begin(), live_flags_.end(), uint8_t{0});
  std::fill(out.has_observation.begin(), out.has_observation.end(), uint8_t{0});
  std::fill(out.acted.begin(), out.acted.end(), uint8_t{0});
  std::fill(out.terminated.begin(), out.terminated.end(), uint8_t{0});
  std::fill(out.truncated.begin(), out.truncated.end(), uint8_t{0});
  std::fill(out.rewards.begin(), out.rewards.end(), 0.0);
  started_ = true;
  try {
    do_reset(seed, out);
    refresh_live();
    if (live_.empty()) throw Error(name_ + ".reset: no agent is live after the reset");
    check_observations(out, "reset");
  } catch (...) {
    end_episode();  // a refused reset starts nothing: the next call must be reset()
    throw;
  }
}

void MultiAgentEnv::step(const MultiAgentActions& actions, MultiAgentStep& out) {
  if (live_.empty()) {
    throw Error(name_ + (started_ ? ".step: the episode is over (no agent is live); call "
                                    "reset() before step()"
                                  : ".step: step() called before reset()"));
  }
  check_buffers(out, "step");
  if (actions.size() != possible_agents_.size()) {
    throw Error(name_ +
                ".step: the actions were not made for this environment (use "
                "make_actions())");
  }
  for (size_t i = 0; i < possible_agents_.size(); ++i) {
    if (live_flags_[i] != 0 && !actions.has(i)) {
      throw Error(name_ + ".step: no action for the live agent '" + possible_agents_[i] + "'");
    }
    if (live_flags_[i] == 0 && actions.has(i)) {
      throw Error(name_ + ".step: an action for agent '" + possible_agents_[i] +
                  "', which is not live");
    }
    if (live_flags_[i] != 0) {
      validate_action(action_spaces_[i], actions.get(i), clips_box_actions(i),
                      action_check_names_[i]);
    }
  }
  for (size_t i = 0; i < possible_agents_.size(); ++i) {
    out.acted[i] = live_flags_[i];
    out.has_observation[i] = 0;
    out.rewards[i] = 0.0;
    out.terminated[i] = 0;
    out.truncated[i] = 0;
  }
  try {
    do_step(actions, out);
    for (size_t i = 0; i < possible_agents_.size(); ++i) {
      const bool ended = out.terminated[i] != 0 || out.truncated[i] != 0;
      if (out.acted[i] == 0 && (ended || out.rewards[i] != 0.0)) {
        throw Error(name_ + ".step: agent '" + possible_agents_[i] +
                    "' did not act but was given a reward or an end");
      }
      if (out.acted[i] != 0 && live_flags_[i] == 0 && !ended) {
        throw Error(name_ + ".step: agent '" + possible_agents_[i] +
                    "' left without terminating or being truncated");
      }
      // An agent whose part ended leaves, whatever the environment says.
      if (out.acted[i] != 0 && ended) live_flags_[i] = 0;
    }
    refresh_live();
    check_observations(out, "step");
  } catch (...) {
    end_episode();  // after a refused step the episode cannot go on: reset() must follow
    throw;
  }
}

}  // namespace cairn
