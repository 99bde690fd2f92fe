// IndependentAgents: N single-agent environments as one multi-agent environment, agent i
// acting in environment i (RLlib's make_multi_agent). Each agent's part ends when its own
// episode does (terminated or truncated, e.g. by its TimeLimit); the episode is over when every
// agent's has ended. The agents do not interact, so the task of each is its environment's.
//
// Agents are "<prefix><i>" ("agent_0", ...). reset(seed) resets environment i with seed + i,
// as VectorEnv does, so agent i sees what a single-agent run of its environment with that seed
// sees; reset() without a seed continues each environment's own generator.
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

 protected:
  void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) override;
  void do_step(const MultiAgentActions& actions, MultiAgentStep& out) override;

 private:
  std::vector<std::unique_ptr<Env>> envs_;
};

}  // namespace cairn
