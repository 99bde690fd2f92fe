// Swimmer: Gymnasium's Swimmer-v5 (gymnasium/envs/mujoco/swimmer_v5.py) on cairn's own
// model (src/env/mujoco/models/swimmer.xml).
//
// Three segments joined by two motorised hinges swim in the plane through a viscous fluid.
// qpos: the front segment's x, y (slides) and heading (hinge), then the two hinge angles.
// Swim forward (+x).
//
//   Observation  Box(8): qpos[2..4] (heading, the two hinge angles), then qvel (5).
//                With exclude_current_positions_from_observation = false, Box(10): all of
//                qpos (x and y first), then qvel.
//   Action       Box(2) in [-1, 1]: the motors' controls (gear 150).
//   Reward       forward_reward - ctrl_cost, where
//                  forward_reward = forward_reward_weight * x_velocity,
//                  x_velocity = (qpos[0] after the step - qpos[0] before) / dt,
//                  ctrl_cost = ctrl_cost_weight * sum(action^2), from the action as given,
//                  squared and summed in float32 as NumPy does for Gymnasium's float32
//                  actions, then scaled in float64.
//   Terminated   never.
//   Truncated    never by the environment; "Swimmer-v5" adds a TimeLimit of 1000.
//   Frame skip   4 (dt = 0.04 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 5), then
//                qvel = init_qvel + uniform(-s, s, size nv = 5), s = reset_noise_scale (0.1),
//                drawn from np_random() in that order, as Gymnasium draws them.
//   Info         x_position, y_position (qpos[0], qpos[1]), distance_from_origin
//                (|(qpos[0], qpos[1])|), x_velocity, y_velocity (by differences, as
//                x_velocity), reward_forward (= forward_reward), reward_ctrl (= -ctrl_cost);
//                after reset() only the positions and distance_from_origin are set.
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class Swimmer : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's SwimmerEnv, with its defaults.
  struct Options {
    int frame_skip = 4;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 1e-4;
    double reset_noise_scale = 0.1;
    bool exclude_current_positions_from_observation = true;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t {
    kXPosition,
    kYPosition,
    kDistanceFromOrigin,
    kXVelocity,
    kYVelocity,
    kRewardForward,
    kRewardCtrl
  };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit Swimmer(const Options& options);
  // Builds from another MJCF model (Gymnasium's xml_file): qpos[0] and qpos[1] must be the
  // planar position. Throws cairn::Error if the model has fewer than two joints or as
  // MujocoEnv.
  Swimmer(MjModelPtr model, const Options& options);

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  // Takes `model` after the observation size has been read from it.
  Swimmer(MjModelPtr&& model, const Options& options, size_t observation_size);
  void write_observation(std::span<float> obs) const;
  void set_position_info();

  Options options_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
