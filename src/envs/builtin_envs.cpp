#include "env/builtin_env_specs.h"

#include <memory>

#include "cairn/envs/acrobot.h"
#include "cairn/envs/cartpole.h"
#include "cairn/envs/memory_cue.h"
#include "cairn/envs/mountain_car.h"
#include "cairn/envs/mountain_car_continuous.h"
#include "cairn/envs/pendulum.h"
#include "cairn/envs/stateless_cartpole.h"
#include "env/mujoco/mujoco_env_specs.h"

namespace cairn {

// Time limits and reward thresholds of the Gymnasium ports are those of Gymnasium 1.2.2's
// registrations (gymnasium/envs/__init__.py). Options are the keyword arguments of the
// environments' constructors (render_mode aside).
std::vector<EnvSpec> builtin_env_specs() {
  std::vector<EnvSpec> specs;
  specs.push_back({
      .id = "CartPole-v1",
      .factory =
          [](EnvOptions& options) {
            return std::make_unique<CartPole>(options.boolean("sutton_barto_reward", false));
          },
      .max_episode_steps = 500,
      .reward_threshold = 475.0,
      .description = "balance a pole on a cart (Gymnasium CartPole-v1); option "
                     "sutton_barto_reward (bool)",
  });
  specs.push_back({
      .id = "Pendulum-v1",
      .factory =
          [](EnvOptions& options) { return std::make_unique<Pendulum>(options.number("g", 10.0)); },
      .max_episode_steps = 200,
      .reward_threshold = std::nullopt,
      .description = "swing a pendulum up and keep it upright (Gymnasium Pendulum-v1); option g "
                     "(gravity, default 10.0)",
  });
  specs.push_back({
      .id = "MountainCar-v0",
      .factory =
          [](EnvOptions& options) {
            return std::make_unique<MountainCar>(options.number("goal_velocity", 0.0));
          },
      .max_episode_steps = 200,
      .reward_threshold = -110.0,
      .description = "drive an under-powered car up a hill, discrete actions (Gymnasium "
                     "MountainCar-v0); option goal_velocity",
  });
  specs.push_back({
      .id = "MountainCarContinuous-v0",
      .factory =
          [](EnvOptions& options) {
            return std::make_unique<MountainCarContinuous>(options.number("goal_velocity", 0.0));
          },
      .max_episode_steps = 999,
      .reward_threshold = 90.0,
      .description = "drive an under-powered car up a hill, continuous force (Gymnasium "
                     "MountainCarContinuous-v0); option goal_velocity",
  });
  specs.push_back({
      .id = "Acrobot-v1",
      .factory = [](EnvOptions&) { return std::make_unique<Acrobot>(); },
      .max_episode_steps = 500,
      .reward_threshold = -100.0,
      .description = "swing the tip of a two-link chain above a line (Gymnasium Acrobot-v1)",
  });
  // Tasks for policies with memory (cairn's own, not Gymnasium registrations).
  specs.push_back({
      .id = "StatelessCartPole-v1",
      .factory =
          [](EnvOptions& options) {
            return std::make_unique<StatelessCartPole>(
                options.boolean("sutton_barto_reward", false));
          },
      .max_episode_steps = 500,
      .reward_threshold = 475.0,
      .description = "CartPole-v1 observing only the cart position and pole angle (velocities "
                     "hidden: needs memory); option sutton_barto_reward (bool)",
  });
  specs.push_back({
      .id = "MemoryCue-v0",
      .factory =
          [](EnvOptions& options) {
            const int64_t delay = options.integer("delay", MemoryCue::kDefaultDelay);
            const int64_t num_cues = options.integer("num_cues", MemoryCue::kDefaultNumCues);
            return std::make_unique<MemoryCue>(delay, num_cues);
          },
      .max_episode_steps = std::nullopt,  // every episode ends after delay + 1 steps
      .reward_threshold = 0.9,
      .description = "recall a cue shown at the first step after a delay (needs memory; "
                     "+1 right, -1 wrong); options delay (default 8), num_cues (default 2)",
  });
  for (EnvSpec& spec : mujoco_env_specs()) specs.push_back(std::move(spec));
  return specs;
}

}  // namespace cairn
