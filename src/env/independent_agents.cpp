#include "cairn/env/independent_agents.h"

#include <utility>

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

}  // namespace cairn
