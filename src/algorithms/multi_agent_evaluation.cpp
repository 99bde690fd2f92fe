#include "cairn/algorithms/multi_agent_evaluation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include "cairn/env/multi_agent_registry.h"
#include "cairn/error.h"

namespace cairn {
MultiAgentEvaluation evaluate_multi_agent(
    const std::string& env_id, const nlohmann::json& env_options, const PolicyMapping& mapping,
    const std::vector<std::pair<std::string, Policy*>>& policies, int64_t episodes,
    bool deterministic, uint64_t seed) {
  const std::string who = "multi-agent evaluation of " + env_id;
  if (episodes < 1) {
    throw Error(who + ": episodes must be at least 1, got " + std::to_string(episodes));
  }
  std::unique_ptr<MultiAgentEnv> env = make_multi_agent(env_id, env_options);
  const std::vector<std::string>& agents = env->possible_agents();
  const size_t num_agents = agents.size();
  // Each agent's policy, checked against its spaces before anything runs.
  std::vector<size_t> agent_policy(num_agents);
  for (size_t i = 0; i < num_agents; ++i) {
    const std::string& id = mapping.policy_for(agents[i]);
    const auto it = std::find_if(policies.begin(), policies.end(),
                                 [&](const auto& p) { return p.first == id; });
    if (it == policies.end()) {
      throw Error(who + ": agent '" + agents[i] + "' maps to policy '" + id +
                  "', which is not among the policies given");
    }
    const Policy& pi = *it->second;
    if (!(pi.observation_space() == env->observation_space(i)) ||
        !(pi.action_space() == env->action_space(i))) {
      throw Error(who + ": policy '" + id + "' does not fit agent '" + agents[i] +
                  "' (its observation or action space differs)");
    }
    agent_policy[i] = static_cast<size_t>(it - policies.begin());
  }
  MultiAgentStep step = env->make_step_buffers();
  MultiAgentActions actions = env->make_actions();
  Rng rng = Rng::stream(seed, 7);
  std::vector<double> totals;
  std::vector<int64_t> lengths;
  std::vector<std::vector<double>> policy_returns(policies.size());
  std::vector<std::vector<int64_t>> policy_lengths(policies.size());
  std::vector<double> agent_return(num_agents);
  std::vector<int64_t> agent_length(num_agents);
  for (int64_t e = 0; e < episodes; ++e) {
    env->reset(step, seed + static_cast<uint64_t>(e));
    std::fill(agent_return.begin(), agent_return.end(), 0.0);
    std::fill(agent_length.begin(), agent_length.end(), 0);
    int64_t length = 0;
    while (env->episode_active()) {
      actions.clear();
      for (size_t i : env->agents()) {
        Policy& pi = *policies[agent_policy[i]].second;
        try {
          const ActionRef a = pi.compute_action(step.observations[i], !deterministic, rng);
          if (!a.discrete.empty()) {
            actions.set(i, a.discrete);
          } else {
            actions.set(i, a.continuous);
          }
        } catch (const Error& err) {
          throw Error(who + ", episode " + std::to_string(e) + ", step " + std::to_string(length) +
                      ", agent '" + agents[i] + "': " + err.what());
        }
      }
      env->step(actions, step);
      ++length;
      for (size_t i = 0; i < num_agents; ++i) {
        if (!step.acted[i]) continue;
        if (!std::isfinite(step.rewards[i])) {
          throw Error(who + ": agent '" + agents[i] + "' got a non-finite reward at step " +
                      std::to_string(length) + " of episode " + std::to_string(e));
        }
        agent_return[i] += step.rewards[i];
        ++agent_length[i];
      }
    }
    totals.push_back(std::accumulate(agent_return.begin(), agent_return.end(), 0.0));
    lengths.push_back(length);
    for (size_t j = 0; j < policies.size(); ++j) {
      double sum = 0, steps = 0;
      size_t n = 0;
      for (size_t i = 0; i < num_agents; ++i) {
        if (agent_policy[i] != j || agent_length[i] == 0) continue;
        sum += agent_return[i];
        steps += static_cast<double>(agent_length[i]);
        ++n;
      }
      if (n == 0) continue;
      policy_returns[j].push_back(sum / static_cast<double>(n));
      policy_lengths[j].push_back(
          static_cast<int64_t>(std::llround(steps / static_cast<double>(n))));
    }
  }
  MultiAgentEvaluation out;
  out.episodes = EvaluationResult::of(std::move(totals), std::move(lengths));
  for (size_t j = 0; j < policies.size(); ++j) {
    out.policies.emplace_back(
        policies[j].first,
        EvaluationResult::of(std::move(policy_returns[j]), std::move(policy_lengths[j])));
  }
  return out;
}

}  // namespace cairn
