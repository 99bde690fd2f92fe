// IndependentAgents: N single-agent environments as one multi-agent environment, agent i
// acting in environment i (RLlib's make_multi_agent). Each agent's part ends when its own
// episode does (terminated or truncated, e.g. by its TimeLimit); the episode is over when every
// agent's has ended. The agents do not interact, so the task of each is its environment's.
//
// Agents are "<prefix><i>" ("agent_0", ...). reset(seed) resets environment i with seed + i,
// as VectorEnv does, so agent i sees what a single-agent run of its environment with that seed
// sees; reset() without a seed continues each environment's own generator.
//
// State (has_state() when every environment's unwrapped() has_state()): for A agents whose
// environments' physical states have S values in all, tensors named prefix +
//   "physical_state"  F64 [S]     each environment's unwrapped().get_state(), one after another
//   "state_sizes"     I64 [A]     the number of those values of each environment
//   "np_random"       U64 [A, 6]  each environment's unwrapped().np_random() (to_words())
//   "elapsed_steps"   I64 [A]     each environment's TimeLimit count: -1 without a TimeLimit,
//                                 0 for an agent that is not live (its environment is reset
//                                 before it steps again, which restarts the count)
// restore_state() sets them and resumes every environment's episode (Env::resume_episode, so
// that its restored generator counts as seeded): the environment of an agent whose part had
// ended is not stepped before the next reset(), which continues its generator.

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/env/env.h"
#include "cairn/env/multi_agent_env.h"

namespace cairn {

class IndependentAgents final : public MultiAgentEnv {
 public:
  // Throws cairn::Error for no environments or a null one.
  explicit IndependentAgents(std::vector<std::unique_ptr<Env>> envs,
                             const std::string& prefix = "agent_");

  Env& env(size_t agent) { return *envs_.at(agent); }
  // Agent i's environment's clips_box_actions() (Pendulum's agents accept what Pendulum does).
  bool clips_box_actions(size_t agent) const override {
    return envs_.at(agent)->clips_box_actions();
  }

  // True if every environment's unwrapped() has_state() (Env::get_state/set_state).
  bool has_state() const override;
  // Adds the tensors listed in the file comment. Throws cairn::Error if !has_state() or a
  // name is already in `out`.
  void save_state(TensorDict& out, const std::string& prefix) const override;
  // Restores them. Throws cairn::Error naming the tensor for a missing one, one whose dtype
  // or shape does not fit, or a value an environment refuses (a state of another size or not
  // finite, an invalid generator, a step count not below a live environment's limit).
  void restore_state(const TensorDict& in, const std::string& prefix) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) override;
  void do_step(const MultiAgentActions& actions, MultiAgentStep& out) override;

 private:
  std::vector<std::unique_ptr<Env>> envs_;
};

}  // namespace cairn
