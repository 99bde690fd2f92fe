// DQN's part of algorithm checkpoints (the frame writes and checks the rest: counters,
// episode statistics, environments, finiteness) and its entry in the algorithm registry.
#include <string>

#include "cairn/algorithms/dqn.h"
#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"

namespace cairn {
namespace {

// Tensor names of DQN's own state (docs/off-policy.md, "DQN: checkpoints"); the loop's
// ("rng/actions", "rng/sample", "dqn/counters", "replay/...") are OffPolicyAlgorithm's.
constexpr const char* kTargetPrefix = "target/";  // + parameter name
constexpr const char* kOptimizerPrefix = "optimizer/q/";

}  // namespace

void DQN::save_algorithm_state(TensorDict& out) const {
  for (const nn::TensorInfo& t : target_->parameters()) {
    out.insert(kTargetPrefix + t.name, Tensor::f32(target_->parameter(t.name), t.shape));
  }
  save_optimizer_state(*optimizer_, kOptimizerPrefix, out);
}

void DQN::restore_algorithm_state(const TensorDict& in) {
  check_state(in, config_);
  // Read into copies first, so that a bad tensor leaves the run unchanged.
  nn::Model<float> target = *target_;
  for (const nn::TensorInfo& t : target.parameters()) {
    const std::string name = kTargetPrefix + t.name;
    target.set_parameter(t.name, t.shape, in.expect(name, DType::f32, t.shape).to_vector<float>());
  }
  nn::Adam<float> optimizer = *optimizer_;
  restore_optimizer_state(optimizer, kOptimizerPrefix, in);
  *target_ = std::move(target);
  *optimizer_ = optimizer;
}

void DQN::check_state(const TensorDict& in, const DQNConfig& config) {
  check_off_policy_loop_state(in, "rng/sample", OffPolicyCounters::kDQN,
                              config.checkpoint_replay_buffer);
  in.expect(std::string(kOptimizerPrefix) + "step_count", DType::i64, {});
  bool has_target = false;
  for (const auto& [name, t] : in) {
    if (name.rfind(kTargetPrefix, 0) == 0) {
      has_target = true;
      if (t.dtype() != DType::f32) throw Error(in.source() + ": tensor '" + name + "' must be F32");
    }
  }
  if (!has_target) throw Error(in.source() + ": missing the target network's tensors 'target/...'");
}

AlgorithmInfo dqn_algorithm_info() {
  AlgorithmInfo info;
  info.name = "dqn";
  info.label = "DQN";
  info.description =
      "Deep Q-learning (Mnih et al. 2015) with double Q, optional dueling heads, a target "
      "network and epsilon-greedy exploration; off-policy, Discrete actions";
  info.default_config = [] { return DQNConfig().to_json(); };
  info.untuned_config = [](const std::string& env_id) {
    return dqn_untuned_config(env_id).to_json();
  };
  info.normalize_config = [](const nlohmann::json& j) {
    const DQNConfig c = DQNConfig::from_json(j);
    c.validate();
    return c.to_json();
  };
  info.create = [](const nlohmann::json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<DQN>(DQNConfig::from_json(j));
  };
  info.check_state = [](const TensorDict& state, const nlohmann::json& config) {
    DQN::check_state(state, DQNConfig::from_json(config));
  };
  info.metric_names = DQN::metric_names();
  for (const char* env : {"CartPole-v1", "Acrobot-v1", "MountainCar-v0"}) {
    info.presets[env] = dqn_preset(env).to_json();
  }
  return info;
}

}  // namespace cairn
