// MultiAgentEnv: several agents acting at once, with PettingZoo's Parallel API semantics.
//
//   reset(seed?)    -> an observation for every agent live at the start
//   step(actions)   -> for every agent live before the step: reward, terminated, truncated
//                      and its next observation (the last one if its part ended, for
//                      bootstrapping a truncated agent); a first observation for every agent
//                      that joined
//
// Agents are named (possible_agents(), e.g. "agent_0", "car_3") and indexed by their position
// in that list, which never changes; each has its own observation and action space. The live
// agents (agents()) are a subset: an agent that terminates or is truncated leaves after the
// step that ended it, and new agents (from possible_agents()) may join in any step, with a
// first observation and no reward. The episode is over when no agent is live.
//
// Buffers: results are written into a MultiAgentStep owned by the caller and sized for the
// environment (make_step_buffers()), one row per possible agent, so that stepping does not
// allocate. Actions are passed as a MultiAgentActions, one ActionRef per possible agent.
//
// The public methods are non-virtual and enforce the protocol for every environment:
//   - step() before reset(), or after the episode is over, throws cairn::Error;
//   - step() without an action for a live agent, or with one for an agent that is not live,
//     throws naming the agent; each action is checked against its agent's space as Env
//     checks single-agent actions (kind, length, range, finiteness);
//   - an observation the environment writes outside its agent's space (an integer observation
//     outside its range, a Box element outside finite bounds or a NaN) throws naming the
//     environment, the agent and the element; so do an agent that leaves without terminating
//     or being truncated and one given a reward or an end without having acted. After such a
//     refusal (or an exception from the environment) in reset() or step(), no agent is live:
//     the next call must be reset().
// Subclasses implement do_reset() and do_step() and never see invalid input.
//
// Seeding follows Env: reset(seed) re-seeds np_random() as np.random.default_rng(seed); reset()
// without a seed continues the generator (the first one draws a seed from std::random_device).
//
// Checkpoints: an environment that has_state() saves its own episode state with save_state()
// and restores it with restore_state(); the base class's part (np_random() and the live
// agents) is saved by the caller (MultiAgentVectorEnv does) and restored with
// np_random().set_state() and restore_live_agents(), after which step() continues the episode
// exactly as the saved environment's would.
//
// Not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env/env.h"
#include "cairn/io/safetensors.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"

namespace cairn {

// The results of a reset() or step(), one row per possible agent (the index in
// possible_agents()). Rows of agents a call did not report on keep their flags cleared.
struct MultiAgentStep {
  // observation_space(i).size() values for agent i: its next observation when has_observation
  // (every agent that acted, and every agent live after the call).
  std::vector<std::vector<float>> observations;
  std::vector<uint8_t> has_observation;
  std::vector<double> rewards;                 // of the step, for agents that acted
  std::vector<uint8_t> acted;                  // the agent was live before the step and acted
  std::vector<uint8_t> terminated, truncated;  // how the agent's part ended (agents that acted)
};

// The actions of one step, one per possible agent; a live agent's row must be set.
class MultiAgentActions {
 public:
  MultiAgentActions() = default;
  explicit MultiAgentActions(size_t num_possible_agents) { resize(num_possible_agents); }
  void resize(size_t num_possible_agents);
  // Clears every row (as at the start of each step).
  void clear();
  // Sets agent i's action: one integer (Discrete), integers (MultiDiscrete) or floats (Box).
  // Copies into storage that is reused across steps (allocates only when it grows).
  void set(size_t agent, int64_t action);
  void set(size_t agent, std::span<const int64_t> action);
  void set(size_t agent, std::span<const float> action);
  bool has(size_t agent) const { return given_[agent] != 0; }
  ActionRef get(size_t agent) const;
  size_t size() const { return given_.size(); }

 private:
  std::vector<uint8_t> given_;
  std::vector<std::vector<int64_t>> discrete_;
  std::vector<std::vector<float>> continuous_;
};

class MultiAgentEnv {
 public:
  // One observation and one action space per possible agent, in the order of
  // `possible_agents`. Throws cairn::Error for no agents, an empty or repeated id, or a
  // number of spaces that differs from the number of agents.
  MultiAgentEnv(std::vector<std::string> possible_agents, std::vector<Space> observation_spaces,
                std::vector<Space> action_spaces);
  virtual ~MultiAgentEnv() = default;
  MultiAgentEnv(const MultiAgentEnv&) = delete;
  MultiAgentEnv& operator=(const MultiAgentEnv&) = delete;

  const std::vector<std::string>& possible_agents() const { return possible_agents_; }
  size_t num_possible_agents() const { return possible_agents_.size(); }
  // The index of agent `id`. Throws cairn::Error naming the id and listing the agents.
  size_t agent_index(std::string_view id) const;
  const Space& observation_space(size_t agent) const { return observation_spaces_.at(agent); }
  const Space& action_space(size_t agent) const { return action_spaces_.at(agent); }

  // The live agents' indices, in possible_agents() order (empty before reset() and after
  // the episode is over).
  std::span<const size_t> agents() const { return live_; }
  bool is_live(size_t agent) const { return live_flags_.at(agent) != 0; }
  bool episode_active() const { return !live_.empty(); }

  // Buffers sized for this environment.
  MultiAgentStep make_step_buffers() const;
  MultiAgentActions make_actions() const { return MultiAgentActions(num_possible_agents()); }

  // Starts an episode: `out` gets an observation for every live agent. Throws cairn::Error
  // when `out` was not made for this environment, when no agent is live after the reset, or
  // for an observation outside its space (see the file comment).
  void reset(MultiAgentStep& out, std::optional<uint64_t> seed = std::nullopt);
  // One step of every live agent. Throws cairn::Error on protocol violations and invalid
  // actions or observations (see the file comment).
  void step(const MultiAgentActions& actions, MultiAgentStep& out);

  // The environment's generator (Gymnasium's np_random).
  Rng& np_random() { return np_random_; }
  const Rng& np_random() const { return np_random_; }

  // True if agent i's environment clips Box actions to their bounds itself (as Env's
  // clips_box_actions(): Pendulum, MuJoCo), so that step() accepts finite actions outside the
  // bounds for that agent. Default: false.
  virtual bool clips_box_actions(size_t agent) const;

  // True if the environment implements save_state() and restore_state(). Default: false.
  virtual bool has_state() const;
  // Adds the environment's own episode state (not np_random() and not the live agents, which
  // the base class keeps) to `out` as tensors named prefix + "...". Throws cairn::Error if
  // !has_state() (the default implementation always throws, saying the environment does not
  // expose its state) or a name is already in `out`.
  virtual void save_state(TensorDict& out, const std::string& prefix) const;
  // Restores save_state()'s tensors into an environment built with the same options. Throws
  // cairn::Error naming the tensor for a missing one, one whose dtype or shape does not fit,
  // or a value this environment cannot hold; the default implementation always throws, as
  // save_state(). Does not change the live agents: restore_live_agents() follows.
  virtual void restore_state(const TensorDict& in, const std::string& prefix);
  // Marks the agents with live[i] != 0 live and the episode as started, without reset() (the
  // generator counts as seeded), for restoring a checkpoint after restore_state() and
  // np_random().set_state(): step() then requires actions for exactly these agents, and with
  // none live it refuses as after an episode's end. Throws cairn::Error if live.size() !=
  // num_possible_agents() or an element is neither 0 nor 1 (nothing is changed then).
  void restore_live_agents(std::span<const uint8_t> live);

  // For messages: "MultiAgentCartPole-v0" once the registry has named it, else "MultiAgentEnv".
  const std::string& name() const { return name_; }
  void set_name(std::string name);

 protected:
  // Called by reset() after np_random() was seeded (when `seed` is set). Sets the live
  // agents (set_live) and writes their observations into `out` (whose flags are cleared).
  virtual void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) = 0;
  // Called by step() with a valid action for every live agent. Writes reward, terminated,
  // truncated and the next observation of every agent that acted (acted is set by step()),
  // and the first observation of every agent that joins (set_live(i, true)). Agents whose
  // part ended leave by themselves.
  virtual void do_step(const MultiAgentActions& actions, MultiAgentStep& out) = 0;
  // Marks agent i live or not.
  void set_live(size_t agent, bool live);

 private:
  void check_buffers(const MultiAgentStep& out, const char* method) const;
  void check_observations(const MultiAgentStep& out, const char* method) const;
  void refresh_live();
  void end_episode();

  std::vector<std::string> possible_agents_;
  std::vector<Space> observation_spaces_, action_spaces_;
  std::vector<uint8_t> live_flags_;
  std::vector<size_t> live_;
  Rng np_random_;
  bool seeded_ = false, started_ = false;
  std::string name_ = "MultiAgentEnv";
  // "<name>.step: agent '<id>'" per agent, made when the name is set, so that checking an
  // action does not build a string per step.
  std::vector<std::string> action_check_names_;
};

}  // namespace cairn
