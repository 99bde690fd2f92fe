// MultiAgentVectorEnv: N copies of a multi-agent environment stepped together, as VectorEnv
// steps single-agent ones: seeding by copy (copy k reset with seed + k), the same-step
// auto-reset, and per-agent episode statistics.
//
// After reset() and step(), for copy k:
//   step_result(k)   what its last step reported (MultiAgentStep: the agents that acted, their
//                    rewards, flags and next observations, the last one of an agent whose part
//                    ended, for bootstrapping a truncated agent); cleared flags after reset()
//   observations(k)  what to act on next: an observation for each agent live now
//                    (has_observation), which is the new episode's first observations when the
//                    last step ended the episode (the copy was reset within the same step,
//                    without a seed, so it continues its own generator; episode_ended(k) says
//                    so)
// An agent's part can end while its copy goes on (it leaves; agents may also join); only a
// copy's whole episode ending resets it.
//
// Episode statistics: each copy's episode return per agent and its length (steps of the
// copy); finished_episodes() lists the episodes that ended in the last step, in copy order.
//
// One thread steps every copy: multi-agent environments are stepped as cheaply as their
// agents' environments (IndependentAgents' CartPoles run at a single CartPole's speed per
// agent). Not thread-safe; reset() and step() do not allocate once sized (for environments
// whose reset/step do not).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/env/multi_agent_env.h"

namespace cairn {

// One finished multi-agent episode.
struct MultiAgentEpisodeRecord {
  size_t env_index = 0;
  std::vector<double> agent_returns;   // per possible agent (0 for agents that never acted)
  std::vector<int64_t> agent_lengths;  // steps each agent acted
  int64_t length = 0;                  // steps of the copy
};

class MultiAgentVectorEnv {
 public:
  // Takes ownership of `envs` (at least one; all with the same possible agents and spaces).
  // Throws cairn::Error on an empty list, a null environment or copies that differ.
  explicit MultiAgentVectorEnv(std::vector<std::unique_ptr<MultiAgentEnv>> envs);
  // `num_envs` copies of make_multi_agent(id, options). Throws as make_multi_agent does, and
  // for num_envs == 0 or above kMaxVectorEnvs (vector_env.h).
  MultiAgentVectorEnv(const std::string& id, size_t num_envs,
                      const nlohmann::json& options = nlohmann::json::object());

  size_t num_envs() const { return envs_.size(); }
  // The first copy, for its possible agents and spaces (every copy has the same).
  const MultiAgentEnv& spec() const { return *envs_[0]; }
  MultiAgentEnv& env(size_t k) { return *envs_.at(k); }

  // Resets every copy (copy k with seed + k) and clears the running statistics.
  void reset(uint64_t seed);
  // Steps every copy with its actions (actions[k], made by make_actions() of the copy).
  // Throws cairn::Error before stepping anything when actions.size() != num_envs() or
  // reset() was never called; a copy's refusal (a missing or invalid action, a bad
  // observation) is thrown naming the copy (other copies may have stepped).
  void step(std::span<const MultiAgentActions> actions);

  const MultiAgentStep& step_result(size_t k) const { return results_.at(k); }
  const MultiAgentStep& observations(size_t k) const { return next_.at(k); }
  bool episode_ended(size_t k) const { return ended_.at(k) != 0; }
  std::span<const MultiAgentEpisodeRecord> finished_episodes() const { return finished_; }

 private:
  void start_statistics(size_t k);

  std::vector<std::unique_ptr<MultiAgentEnv>> envs_;
  std::vector<MultiAgentStep> results_, next_;
  std::vector<uint8_t> ended_;
  std::vector<MultiAgentEpisodeRecord> running_;
  std::vector<MultiAgentEpisodeRecord> finished_;
  bool started_ = false;
};

}  // namespace cairn
