// HalfCheetah: Gymnasium's HalfCheetah-v5 (gymnasium/envs/mujoco/half_cheetah_v5.py) on
// cairn's own model (src/env/mujoco/models/half_cheetah.xml).
//
// A planar two-legged robot (torso free to slide in x and z and to pitch; thigh, shin and
// foot joints on each leg); six motors drive the leg joints. Run forward (+x).
//
//   Observation  Box(17): qpos[1..8] (rootz, rooty, the six leg angles), then qvel (9).
//                With exclude_current_positions_from_observation = false, Box(18): all of
//                qpos (rootx first), then qvel.
//   Action       Box(6) in [-1, 1]: the motors' controls.
//   Reward       forward_reward - ctrl_cost, where
//                  forward_reward = forward_reward_weight * x_velocity,
//                  x_velocity = (qpos[0] after the step - qpos[0] before) / dt,
//                  ctrl_cost = ctrl_cost_weight * sum(action^2), from the action as given,
//                  squared and summed in float32 as NumPy (1.x) does for Gymnasium's float32
//                  actions, then scaled in float64.
//   Terminated   never.
//   Truncated    never by the environment; "HalfCheetah-v5" adds a TimeLimit of 1000.
//   Frame skip   5 (dt = 0.05 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 9), then
//                qvel = init_qvel + s * standard_normal(size nv = 9), s = reset_noise_scale
//                (0.1), drawn from np_random() in that order, as Gymnasium draws them.
//   Info         x_position (qpos[0]), x_velocity, reward_forward (= forward_reward),
//                reward_ctrl (= -ctrl_cost); after reset() only x_position is set.
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class HalfCheetah : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's HalfCheetahEnv, with its defaults.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 0.1;
    double reset_noise_scale = 0.1;
    bool exclude_current_positions_from_observation = true;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t { kXPosition, kXVelocity, kRewardForward, kRewardCtrl };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit HalfCheetah(const Options& options);
  // Builds from another MJCF model (Gymnasium's xml_file): qpos[0] must be the forward
  // position. Throws cairn::Error if the model has no joints or as MujocoEnv.
  HalfCheetah(MjModelPtr model, const Options& options);

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  // Takes `model` after the observation size has been read from it.
  HalfCheetah(MjModelPtr&& model, const Options& options, size_t observation_size);
  void write_observation(std::span<float> obs) const;

  Options options_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
