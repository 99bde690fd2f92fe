// Multi-agent PPO's part of algorithm checkpoints (the frame writes policies/<id>/ for every
// policy, its counters and checksums) and its entry in the algorithm registry.
#include <algorithm>
#include <cmath>

#include "cairn/algorithms/multi_agent_ppo.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr const char* kEnvsPrefix = "multi_agent_envs/";

std::string returns_prefix(const std::string& id) {
  return "policy_returns/" + id + "/";
}

// A trained policy's reward normalisation (normalize_rewards), one stream per agent column.
std::string reward_scaling_prefix(const std::string& id) {
  return "reward_normalizer/" + id + "/";
}

// Everything restore_state reads that can be checked without building anything.
void check_multi_agent_ppo_state(const TensorDict& in, const json& config_json) {
  const MultiAgentPPOConfig config = MultiAgentPPOConfig::from_json(config_json);
  check_rng_state(in, "rng/actions");
  check_rng_state(in, "rng/shuffle");
  const std::vector<int64_t> ring = {static_cast<int64_t>(EpisodeStatistics::kEpisodes)};
  for (const auto& [id, policy] : config.policies) {
    if (policy.trained) in.expect("optimizer/" + id + "/model/step_count", DType::i64, {});
    if (policy.trained && config.policy_config(id).normalize_rewards) {
      // Its streams are its agent columns, known once the environment is built (restore).
      const Tensor& returns = in.at(reward_scaling_prefix(id) + "discounted_returns");
      if (returns.shape().size() != 1) {
        throw Error(in.source() + ": tensor '" + reward_scaling_prefix(id) +
                    "discounted_returns' must be one-dimensional");
      }
      RewardScaling::check(in, reward_scaling_prefix(id), returns.shape()[0]);
    }
    const std::vector<int64_t> position =
        in.expect(returns_prefix(id) + "ring", DType::i64, {2}).to_vector<int64_t>();
    if (position[0] < 0 || position[0] >= ring[0] || position[1] < 0 || position[1] > ring[0]) {
      throw Error(in.source() + ": tensor '" + returns_prefix(id) +
                  "ring' holds an invalid episode ring position");
    }
    in.expect(returns_prefix(id) + "recent_returns", DType::f64, ring);
    in.expect(returns_prefix(id) + "recent_lengths", DType::f64, ring);
  }
  if (config.league) {
    check_rng_state(in, "rng/league");
    if (in.expect("league/taken", DType::i64, {}).to_vector<int64_t>()[0] < 1) {
      throw Error(in.source() + ": tensor 'league/taken' must be at least 1");
    }
    const Tensor& choice = in.at("league/choice");
    if (choice.dtype() != DType::i64 || choice.shape().size() != 1 ||
        choice.shape()[0] % config.ppo.num_envs != 0) {
      throw Error(in.source() + ": tensor 'league/choice' must be I64 [num_envs x agents]");
    }
  }
}

}  // namespace

void MultiAgentPPO::save_state(TensorDict& out) const {
  save_rng_state(action_rng_, "rng/actions", out);
  save_rng_state(shuffle_rng_, "rng/shuffle", out);
  for (const Member& m : members_) {
    if (m.learner) m.learner->save_state("optimizer/" + m.id + "/", out);
    if (m.reward_scaling) m.reward_scaling->save(out, reward_scaling_prefix(m.id));
    const int64_t position[2] = {static_cast<int64_t>(m.returns.next()),
                                 static_cast<int64_t>(m.returns.count())};
    out.insert(returns_prefix(m.id) + "ring", Tensor::i64(position, {2}));
    m.returns.save(out, returns_prefix(m.id));
  }
  if (config_.league) {
    save_rng_state(league_rng_, "rng/league", out);
    out.insert("league/taken", Tensor::i64(std::span<const int64_t>(&league_taken_, 1), {}));
    // The member index of the copy playing each seat, -1 for agents that are not seats.
    std::vector<int64_t> choice(league_choice_.size());
    for (size_t n = 0; n < choice.size(); ++n) {
      choice[n] = league_choice_[n] == kLeagueSeat ? -1 : static_cast<int64_t>(league_choice_[n]);
    }
    out.insert("league/choice", Tensor::i64(choice, {static_cast<int64_t>(choice.size())}));
  }
  if (envs_->can_save_state()) envs_->save_state(out, kEnvsPrefix);
}

void MultiAgentPPO::restore_state(const TensorDict& in) {
  restore_rng_state(action_rng_, "rng/actions", in);
  restore_rng_state(shuffle_rng_, "rng/shuffle", in);
  for (Member& m : members_) {
    if (m.learner) m.learner->restore_state("optimizer/" + m.id + "/", in);
    if (m.reward_scaling) m.reward_scaling->restore(in, reward_scaling_prefix(m.id));
    const std::vector<int64_t> position =
        in.expect(returns_prefix(m.id) + "ring", DType::i64, {2}).to_vector<int64_t>();
    m.returns.restore(in, position[0], position[1], returns_prefix(m.id));
  }
  if (config_.league) {
    restore_rng_state(league_rng_, "rng/league", in);
    in.expect("league/taken", DType::i64, {}).copy_to(std::span<int64_t>(&league_taken_, 1));
    if (league_taken_ < 1) throw Error(in.source() + ": tensor 'league/taken' must be at least 1");
    const std::vector<int64_t> choice =
        in.expect("league/choice", DType::i64, {static_cast<int64_t>(league_choice_.size())})
            .to_vector<int64_t>();
    const size_t num_agents = agent_member_.size();
    const size_t taken = std::min(static_cast<size_t>(league_taken_), league_copies_.size());
    for (size_t n = 0; n < choice.size(); ++n) {
      const bool seat = agent_member_[n % num_agents] == kLeagueSeat;
      const bool valid =
          seat ? std::find(league_copies_.begin(),
                           league_copies_.begin() + static_cast<std::ptrdiff_t>(taken),
                           static_cast<size_t>(choice[n])) !=
                     league_copies_.begin() + static_cast<std::ptrdiff_t>(taken)
               : choice[n] == -1;
      if (!valid) {
        throw Error(in.source() + ": tensor 'league/choice' element " + std::to_string(n) +
                    " is not a league copy taken so far");
      }
      league_choice_[n] = seat ? static_cast<size_t>(choice[n]) : kLeagueSeat;
    }
  }
  bool restored = false;
  for (const auto& [name, unused] : in) {
    (void)unused;
    if (name.rfind(kEnvsPrefix, 0) == 0) {
      restored = true;
      break;
    }
  }
  if (restored) {
    envs_->restore_state(in, kEnvsPrefix);
  } else {
    // Environments without state restart their episodes, seeded from the seed and the
    // iteration, as the frame does for single-agent ones.
    envs_->reset(config_.ppo.seed + 1000003ULL * static_cast<uint64_t>(iteration()));
  }
  for (Member& m : members_) remember_observations(m);
}

void MultiAgentPPO::restore_named_policy(const std::string& id, std::unique_ptr<Policy> restored,
                                         const std::string& source) {
  Member& m = member(id);
  Policy& current = *m.policy;
  if (!(restored->observation_space() == current.observation_space()) ||
      !(restored->action_space() == current.action_space()) ||
      restored->model().parameters() != current.model().parameters()) {
    throw Error(source + ": the saved policy '" + id +
                "' does not match the config's environment and model");
  }
  current = std::move(*restored);
  const size_t columns = std::max<size_t>(m.columns.size(), 1);
  current.reserve(
      std::max((num_steps_ * columns + static_cast<size_t>(m.config.num_minibatches) - 1) /
                   static_cast<size_t>(m.config.num_minibatches),
               columns));
}

void MultiAgentPPO::restore_policy(std::unique_ptr<Policy> restored, const std::string& source) {
  restore_named_policy(members_.front().id, std::move(restored), source);
}

std::vector<float> MultiAgentPPO::example_observations() const {
  return policy_example_observations(members_.front().id);
}

// The latest observation of each of the policy's agents (or one observation of zeros, for a
// policy no agent uses).
std::vector<float> MultiAgentPPO::policy_example_observations(const std::string& id) const {
  const Member& m = const_cast<MultiAgentPPO*>(this)->member(id);
  if (m.columns.empty()) return std::vector<float>(m.policy->observation_size(), 0.0f);
  return m.last_obs;
}

AlgorithmInfo multi_agent_ppo_algorithm_info() {
  AlgorithmInfo info;
  info.name = "multi_agent_ppo";
  info.label = "multi-agent PPO";
  info.description =
      "PPO training several policies on a multi-agent environment (agents mapped to policies)";
  info.default_config = [] { return MultiAgentPPOConfig().to_json(); };
  info.untuned_config = [](const std::string& env_id) {
    MultiAgentPPOConfig c;
    c.ppo.env_id = env_id;
    c.ppo.num_envs = 8;
    c.ppo.num_steps = 64;
    c.ppo.learning_rate = 1e-3;
    c.ppo.total_timesteps = 100000;
    return c.to_json();
  };
  info.normalize_config = [](const json& j) {
    const MultiAgentPPOConfig c = MultiAgentPPOConfig::from_json(j);
    c.validate();
    return c.to_json();
  };
  info.create = [](const json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<MultiAgentPPO>(MultiAgentPPOConfig::from_json(j));
  };
  info.check_state = check_multi_agent_ppo_state;
  info.policy_ids = [](const json& j) { return MultiAgentPPOConfig::from_json(j).policy_ids(); };
  info.metric_names = {};
  return info;
}

}  // namespace cairn
