// PPO's part of algorithm checkpoints (the frame writes and checks the rest) and its
// entry in the algorithm registry.
#include <cmath>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/state_tensors.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Where PPO's reward normalisation keeps its state in algorithm checkpoints.
constexpr const char* kRewardScalingPrefix = "reward_normalizer/";

// Everything restore_state reads, checked without building anything.
void check_ppo_state(const TensorDict& in, const json& config_json) {
  const PPOConfig config = PPOConfig::from_json(config_json);
  check_rng_state(in, "rng/actions");
  check_rng_state(in, "rng/shuffle");
  in.expect("optimizer/model/step_count", DType::i64, {});
  if (config.normalize_rewards) RewardScaling::check(in, kRewardScalingPrefix, config.num_envs);
  // A recurrent policy's rollout memory (its width is the model's, checked on restore).
  RolloutMemory::check(in, config.num_envs);
}

}  // namespace

void PPO::save_state(TensorDict& out) const {
  save_rng_state(action_rng_, "rng/actions", out);
  save_rng_state(shuffle_rng_, "rng/shuffle", out);
  learner_->save_state("optimizer/", out);
  if (reward_scaling_) reward_scaling_->save(out, kRewardScalingPrefix);
  if (memory_) memory_->save(out);
}

void PPO::restore_state(const TensorDict& in) {
  restore_rng_state(action_rng_, "rng/actions", in);
  restore_rng_state(shuffle_rng_, "rng/shuffle", in);
  learner_->restore_state("optimizer/", in);
  if (reward_scaling_) reward_scaling_->restore(in, kRewardScalingPrefix);
  if (memory_) memory_->restore(in);
}

void PPO::restore_policy(std::unique_ptr<Policy> policy, const std::string& source) {
  Algorithm::restore_policy(std::move(policy), source);
  policy_->reserve(std::max(batch_ / static_cast<size_t>(config_.num_minibatches), num_envs_));
}

std::vector<float> PPO::example_observations() const {
  const std::span<const float> obs = envs_->observations();
  return std::vector<float>(obs.begin(), obs.end());
}

json PPO::verify_checkpoint(const fs::path& path) {
  return verify_algorithm_checkpoint(path);
}

std::unique_ptr<PPO> PPO::from_checkpoint(const fs::path& path) {
  std::unique_ptr<Algorithm> algorithm = restore_algorithm(path);
  if (auto* ppo = dynamic_cast<PPO*>(algorithm.get())) {
    algorithm.release();
    return std::unique_ptr<PPO>(ppo);
  }
  throw Error(path.string() + ": holds a " + algorithm->label() +
              " checkpoint, not PPO (restore it with restore_algorithm)");
}

AlgorithmInfo ppo_algorithm_info() {
  AlgorithmInfo info;
  info.name = "ppo";
  info.label = "PPO";
  info.description = "Proximal Policy Optimization (Schulman et al. 2017), on-policy";
  info.default_config = [] { return PPOConfig().to_json(); };
  info.untuned_config = [](const std::string& env_id) {
    // An environment without a preset (a user's): CleanRL's defaults are tuned for 500k-10M
    // steps; a first run should show learning within about 100k steps, so a shorter
    // learning-rate horizon, a larger rate and more, shorter rollouts per iteration, in
    // the range every preset settled on. docs/guide-custom-env-and-model.md says what to
    // tune next.
    PPOConfig c;
    c.env_id = env_id;
    c.num_envs = 8;
    c.num_steps = 64;
    c.learning_rate = 1e-3;
    c.total_timesteps = 100000;
    return c.to_json();
  };
  info.normalize_config = [](const json& j) {
    const PPOConfig c = PPOConfig::from_json(j);
    c.validate();  // sizes too, before the constructor allocates for them
    return c.to_json();
  };
  info.create = [](const json& j) -> std::unique_ptr<Algorithm> {
    return std::make_unique<PPO>(PPOConfig::from_json(j));
  };
  info.check_state = check_ppo_state;
  info.metric_names = {"policy_loss",   "value_loss",         "entropy",         "approx_kl",
                       "clip_fraction", "explained_variance", "stopped_early_kl"};
  info.presets = ppo_builtin_presets();
  return info;
}

}  // namespace cairn
