#include "cairn/env/multi_agent_vector_env.h"

#include <algorithm>
#include <utility>

#include "cairn/env/multi_agent_registry.h"
#include "cairn/env/vector_env.h"
#include "cairn/error.h"

namespace cairn {
namespace {

std::vector<std::unique_ptr<MultiAgentEnv>> make_copies(const std::string& id, size_t n,
                                                        const nlohmann::json& options) {
  if (n == 0 || n > kMaxVectorEnvs) {
    throw Error("MultiAgentVectorEnv: num_envs must be in [1, " + std::to_string(kMaxVectorEnvs) +
                "], got " + std::to_string(n));
  }
  std::vector<std::unique_ptr<MultiAgentEnv>> envs;
  for (size_t k = 0; k < n; ++k) envs.push_back(make_multi_agent(id, options));
  return envs;
}

}  // namespace

MultiAgentVectorEnv::MultiAgentVectorEnv(std::vector<std::unique_ptr<MultiAgentEnv>> envs)
    : envs_(std::move(envs)) {
  if (envs_.empty()) throw Error("MultiAgentVectorEnv: no environments");
  for (size_t k = 0; k < envs_.size(); ++k) {
    if (!envs_[k])
      throw Error("MultiAgentVectorEnv: environment " + std::to_string(k) + " is null");
    const MultiAgentEnv& first = *envs_[0];
    const MultiAgentEnv& e = *envs_[k];
    bool same = e.possible_agents() == first.possible_agents();
    for (size_t i = 0; same && i < first.num_possible_agents(); ++i) {
      same = e.observation_space(i) == first.observation_space(i) &&
             e.action_space(i) == first.action_space(i);
    }
    if (!same) {
      throw Error("MultiAgentVectorEnv: environment " + std::to_string(k) +
                  " has other agents or spaces than environment 0");
    }
    results_.push_back(e.make_step_buffers());
    next_.push_back(e.make_step_buffers());
  }
  ended_.assign(envs_.size(), 0);
  running_.resize(envs_.size());
  finished_.reserve(envs_.size());
}

MultiAgentVectorEnv::MultiAgentVectorEnv(const std::string& id, size_t num_envs,
                                         const nlohmann::json& options)
    : MultiAgentVectorEnv(make_copies(id, num_envs, options)) {}

void MultiAgentVectorEnv::start_statistics(size_t k) {
  MultiAgentEpisodeRecord& r = running_[k];
  r.env_index = k;
  r.agent_returns.assign(envs_[k]->num_possible_agents(), 0.0);
  r.agent_lengths.assign(envs_[k]->num_possible_agents(), 0);
  r.length = 0;
}

void MultiAgentVectorEnv::reset(uint64_t seed) {
  finished_.clear();
  for (size_t k = 0; k < envs_.size(); ++k) {
    envs_[k]->reset(next_[k], seed + k);
    results_[k] = next_[k];
    ended_[k] = 0;
    start_statistics(k);
  }
  started_ = true;
}

void MultiAgentVectorEnv::step(std::span<const MultiAgentActions> actions) {
  if (!started_) throw Error("MultiAgentVectorEnv::step: step() called before reset()");
  if (actions.size() != envs_.size()) {
    throw Error("MultiAgentVectorEnv::step: " + std::to_string(actions.size()) +
                " sets of actions for " + std::to_string(envs_.size()) + " environments");
  }
  finished_.clear();
  for (size_t k = 0; k < envs_.size(); ++k) {
    MultiAgentEnv& env = *envs_[k];
    try {
      env.step(actions[k], results_[k]);
    } catch (const Error& e) {
      throw Error("environment " + std::to_string(k) + ": " + e.what());
    }
    MultiAgentEpisodeRecord& r = running_[k];
    ++r.length;
    for (size_t i = 0; i < env.num_possible_agents(); ++i) {
      if (results_[k].acted[i] == 0) continue;
      r.agent_returns[i] += results_[k].rewards[i];
      ++r.agent_lengths[i];
    }
    ended_[k] = env.episode_active() ? 0 : 1;
    if (ended_[k] != 0) {
      finished_.push_back(r);
      env.reset(next_[k]);  // no seed: the copy continues its own generator
      start_statistics(k);
    } else {
      MultiAgentStep& next = next_[k];
      const MultiAgentStep& result = results_[k];
      for (size_t i = 0; i < env.num_possible_agents(); ++i) {
        next.has_observation[i] = env.is_live(i) ? 1 : 0;
        if (next.has_observation[i] != 0) {
          std::copy(result.observations[i].begin(), result.observations[i].end(),
                    next.observations[i].begin());
        }
      }
    }
  }
}

}  // namespace cairn
