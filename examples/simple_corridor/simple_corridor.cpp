#include "simple_corridor.h"

#include <cmath>

#include "cairn/algorithms/presets.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/nn/model_zoo.h"

namespace corridor {

SimpleCorridor::SimpleCorridor(int64_t corridor_length)
    : cairn::Env(cairn::Space::box(0.0f, static_cast<float>(corridor_length), {1}),
                 cairn::Space::discrete(2)),
      end_(corridor_length) {
  if (corridor_length < 1) {
    throw cairn::Error("SimpleCorridor: corridor_length must be at least 1, got " +
                       std::to_string(corridor_length));
  }
}

void SimpleCorridor::set_state(std::span<const double> state) {
  check_state(state, 1);
  if (state[0] < 0 || state[0] > static_cast<double>(end_) || std::floor(state[0]) != state[0]) {
    throw cairn::Error("SimpleCorridor::set_state: position must be an integer in [0, " +
                       std::to_string(end_) + "]");
  }
  position_ = static_cast<int64_t>(state[0]);
}

void SimpleCorridor::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  position_ = 0;
  obs[0] = 0.0f;
}

cairn::StepResult SimpleCorridor::do_step(cairn::ActionRef action, std::span<float> obs) {
  if (action.discrete[0] == 0 && position_ > 0) --position_;
  if (action.discrete[0] == 1) ++position_;
  obs[0] = static_cast<float>(position_);
  const bool reached_end = position_ >= end_;
  return {reached_end ? 1.0 : -0.1, reached_end, false};
}

void register_simple_corridor() {
  if (cairn::is_registered("SimpleCorridor-v0")) return;
  cairn::register_env({
      .id = "SimpleCorridor-v0",
      .factory =
          [](cairn::EnvOptions& options) {
            return std::make_unique<SimpleCorridor>(options.integer("corridor_length", 5));
          },
      .max_episode_steps = 100,
      .reward_threshold = 0.6,
      .description = "walk right along a corridor to its end (RLlib's SimpleCorridor)",
  });
  // The founding story's PPO preset: the custom model (2 x 256 silu per network).
  cairn::register_preset("ppo", "SimpleCorridor-v0",
                         {{"num_envs", 4},
                          {"num_steps", 64},
                          {"total_timesteps", 20000},
                          {"model", cairn::nn::founding_story_actor_critic(1, 2).to_json()}});
}

}  // namespace corridor
