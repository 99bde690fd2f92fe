// Hopper: Gymnasium's Hopper-v5 (gymnasium/envs/mujoco/hopper_v5.py) on cairn's own model
// (src/env/mujoco/models/hopper.xml).
//
// A planar one-legged robot (torso free to slide in x and z and to pitch; thigh, leg and foot
// hinges); three motors drive the leg's hinges. Hop forward (+x) without falling.
//
//   Observation  Box(11): qpos[1..5] (rootz, rooty, thigh, leg, foot), then qvel (6) clipped
//                to [-10, 10]. With exclude_current_positions_from_observation = false,
//                Box(12): all of qpos (rootx first), then the clipped qvel.
//   Action       Box(3) in [-1, 1]: the motors' controls.
//   Reward       (forward_reward + healthy_reward) - ctrl_cost, where
//                  forward_reward = forward_reward_weight (1) * x_velocity,
//                  x_velocity = (qpos[0] after the step - qpos[0] before) / dt,
//                  healthy_reward = healthy_reward (1) when healthy after the step, else 0
//                                   (v5: an unhealthy step earns nothing even when it does
//                                   not terminate),
//                  ctrl_cost = ctrl_cost_weight (1e-3) * sum(action^2), from the action as
//                              given, squared and summed in float32 as NumPy does for
//                              Gymnasium's float32 actions, then scaled in float64.
//   Healthy      every one of: healthy_z_range (0.7, inf) contains qpos[1] (the height),
//                healthy_angle_range (-0.2, 0.2) contains qpos[2] (the torso's pitch), and
//                healthy_state_range (-100, 100) contains each of qpos[2:] and qvel (all 6,
//                unclipped). Every bound is strict (min < value < max), so NaN is unhealthy.
//   Terminated   when not healthy after the step, if terminate_when_unhealthy (default).
//   Truncated    never by the environment; "Hopper-v5" adds a TimeLimit of 1000.
//   Frame skip   4 (dt = 0.008 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 6), then
//                qvel = init_qvel + uniform(-s, s, size nv = 6), s = reset_noise_scale
//                (5e-3), drawn from np_random() in that order, as Gymnasium draws them.
//   Info         x_position (qpos[0]), z_distance_from_origin (qpos[1] - init_qpos[1]),
//                x_velocity, reward_forward, reward_ctrl (= -ctrl_cost), reward_survive
//                (= healthy_reward); after reset() only x_position and
//                z_distance_from_origin are set.
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

namespace planar_walker {
struct Terms;
}

class Hopper : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's HopperEnv, with its defaults. Ranges are
  // Gymnasium's (min, max) tuples; infinite bounds are allowed.
  struct Options {
    int frame_skip = 4;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 1e-3;
    double healthy_reward = 1.0;
    bool terminate_when_unhealthy = true;
    std::pair<double, double> healthy_state_range{-100.0, 100.0};
    std::pair<double, double> healthy_z_range{0.7, std::numeric_limits<double>::infinity()};
    std::pair<double, double> healthy_angle_range{-0.2, 0.2};
    double reset_noise_scale = 5e-3;
    bool exclude_current_positions_from_observation = true;
  };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them):
  // a non-finite weight or noise scale, a range with min > max or NaN.
  explicit Hopper(const Options& options);
  // Builds from another MJCF model (Gymnasium's xml_file): qpos[0..2] must be rootx, rootz
  // and rooty. Throws cairn::Error if the model has fewer than 3 position coordinates, or as
  // MujocoEnv.
  Hopper(MjModelPtr model, const Options& options);
  ~Hopper() override;

  // Gymnasium's is_healthy for the current state (see Healthy above).
  bool is_healthy() const;

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  // Takes `model` after the observation size has been read from it.
  Hopper(MjModelPtr&& model, const Options& options, size_t observation_size);

  std::unique_ptr<planar_walker::Terms> terms_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
