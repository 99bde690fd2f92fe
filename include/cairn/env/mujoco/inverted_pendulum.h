// InvertedPendulum: Gymnasium's InvertedPendulum-v5 (gymnasium/envs/mujoco/
// inverted_pendulum_v5.py) on cairn's own model (src/env/mujoco/models/inverted_pendulum.xml).
//
// A cart on a rail carries a hinged pole; one motor pushes the cart. Keep the pole upright.
//
//   Observation  Box(4): qpos (cart position, pole angle), qvel (their velocities).
//   Action       Box(1) in [-3, 3]: the motor's control (gear 100).
//   Reward       1 for every step that does not terminate, 0 for the terminating one.
//   Terminated   when an observation element is not finite or |pole angle| > 0.2 rad.
//   Truncated    never by the environment; "InvertedPendulum-v5" adds a TimeLimit of 1000.
//   Frame skip   2 (dt = 0.04 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size 2), then qvel = init_qvel +
//                uniform(-s, s, size 2), s = reset_noise_scale (0.01), drawn from np_random()
//                as Gymnasium draws them.
//   Info         reward_survive (the reward).
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class InvertedPendulum : public MujocoEnv {
 public:
  struct Options {
    int frame_skip = 2;
    double reset_noise_scale = 0.01;
  };
  // Builds from cairn's built-in model. Throws cairn::Error on invalid options.
  explicit InvertedPendulum(const Options& options);
  // Builds from another MJCF model of the same structure (Gymnasium's xml_file).
  InvertedPendulum(MjModelPtr model, const Options& options);

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  double reset_noise_scale_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
