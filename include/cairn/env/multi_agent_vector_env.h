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
// Checkpoints: save_state() captures everything the next step() depends on and
// restore_state() puts it into copies built from the same id and options, so that a training
// run resumes bit-identically (as VectorEnv's do for single-agent environments). Tensors, for
// n copies of environments with A possible agents whose observations have O values in all
// (the sum of the observation spaces' sizes), each named prefix + :
//   "np_random"             U64 [n, 6]  each copy's generator (RngState::to_words())
//   "live"                  U8  [n, A]  each copy's live agents (1 live, 0 not)
//   "observations"          F32 [n, O]  observations(k), agent after agent (the rows of agents
//                                       that are not live hold what they held before)
//   "episode_return"        F64 [n, A]  the running episode's return per agent
//   "agent_episode_length"  I64 [n, A]  the running episode's steps per agent
//   "episode_length"        I64 [n]     the running episode's steps of the copy
//   "copy_<k>/..."                      copy k's own state (MultiAgentEnv::save_state)
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
#include "cairn/io/safetensors.h"

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

  // True if every copy can save its state (MultiAgentEnv::has_state()).
  bool can_save_state() const;
  // Everything the next step() depends on, as tensors named prefix + "..." (listed in the
  // file comment): each copy's environment state (MultiAgentEnv::save_state), its np_random()
  // generator, its live agents, the observations to act on next (observations(k)) and the
  // running episode statistics. Throws cairn::Error if !can_save_state(), reset() was never
  // called, or a name is already in `out`.
  void save_state(TensorDict& out, const std::string& prefix) const;
  // Restores save_state()'s tensors into copies built from the same id and options: the next
  // step() continues exactly as the saved vector environment's would (same results,
  // observations, statistics and auto-resets). Until then observations(k) is the saved one,
  // step_result(k) is as after reset() (cleared flags, observations(k)'s values),
  // episode_ended(k) is false and finished_episodes() is empty. Throws cairn::Error naming
  // the tensor for a missing tensor, one whose dtype/shape does not fit these copies, or a
  // value they cannot hold (a live flag other than 0 or 1, a negative length, an invalid
  // generator state, a copy's own refusal); after a throw the vector environment must be
  // reset() or restored again.
  void restore_state(const TensorDict& in, const std::string& prefix);

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
