// Ant: Gymnasium's Ant-v5 (gymnasium/envs/mujoco/ant_v5.py) on cairn's own model
// (src/env/mujoco/models/ant.xml).
//
// A four-legged robot (a spherical torso on a free joint; each leg a hip and an ankle hinge);
// eight motors drive the hinges. Walk forward (+x) without falling.
//
//   Observation  Box(105): qpos[2..14] (torso z, orientation quaternion, 8 hinge angles),
//                qvel (14), then the contact forces of every body but the world, body by
//                body (data.cfrc_ext rows 1..13, 6 values each: torque then force), each
//                clipped to contact_force_range. exclude_current_positions_from_observation
//                = false adds qpos[0..1] in front (Box(107));
//                include_cfrc_ext_in_observation = false drops the forces (Box(27)).
//   Action       Box(8) in [-1, 1]: the motors' controls.
//   Reward       forward_reward + healthy_reward - ctrl_cost - contact_cost, where
//                  forward_reward = forward_reward_weight * x_velocity,
//                  x_velocity = (x of main_body's frame origin (data.xpos) after the step
//                               - before) / dt (y_velocity likewise),
//                  healthy_reward = healthy_reward option if healthy, else 0,
//                  ctrl_cost = ctrl_cost_weight * sum(action^2), from the float32 action as
//                              given, squared and summed in float32 in NumPy's order,
//                  contact_cost = contact_cost_weight * sum(clip(cfrc_ext)^2) over all
//                              bodies (the world's row included, as Gymnasium sums it),
//                              summed in float64 in NumPy's order.
//                Healthy: every qpos and qvel finite and healthy_z_range.first <= qpos[2] <=
//                healthy_z_range.second.
//   Terminated   when not healthy, if terminate_when_unhealthy.
//   Truncated    never by the environment; "Ant-v5" adds a TimeLimit of 1000.
//   Frame skip   5 (dt = 0.05 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 15), then
//                qvel = init_qvel + s * standard_normal(size nv = 14), s = reset_noise_scale
//                (0.1), drawn from np_random() in that order, as Gymnasium draws them.
//   Info         x_position, y_position (qpos[0], qpos[1]), distance_from_origin (their
//                Euclidean norm), x_velocity, y_velocity, reward_forward, reward_ctrl
//                (= -ctrl_cost), reward_contact (= -contact_cost), reward_survive (=
//                healthy_reward); after reset() only the first three are set.
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class Ant : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's AntEnv, with its defaults.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.0;
    double ctrl_cost_weight = 0.5;
    double contact_cost_weight = 5e-4;
    double healthy_reward = 1.0;
    int main_body = 1;  // a body id (Gymnasium also accepts a body name)
    bool terminate_when_unhealthy = true;
    std::pair<double, double> healthy_z_range{0.2, 1.0};
    std::pair<double, double> contact_force_range{-1.0, 1.0};
    double reset_noise_scale = 0.1;
    bool exclude_current_positions_from_observation = true;
    bool include_cfrc_ext_in_observation = true;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t {
    kXPosition,
    kYPosition,
    kDistanceFromOrigin,
    kXVelocity,
    kYVelocity,
    kRewardForward,
    kRewardCtrl,
    kRewardContact,
    kRewardSurvive
  };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit Ant(const Options& options);
  // Builds from another MJCF model (Gymnasium's xml_file): qpos[0..2] must be the torso's
  // x, y, z (a free joint first). Throws cairn::Error if the model has fewer than 3 qpos,
  // main_body is not a body of it, or as MujocoEnv.
  Ant(MjModelPtr model, const Options& options);

  // Whether the current state is healthy (see above).
  bool is_healthy() const;

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  // Takes `model` after the observation size has been read from it.
  Ant(MjModelPtr&& model, const Options& options, size_t observation_size);
  void write_observation(std::span<float> obs) const;
  // clip(cfrc_ext, contact_force_range) into contact_forces_ (nbody * 6 values).
  void clip_contact_forces();
  void set_position_info();

  Options options_;
  std::vector<double> qpos_, qvel_, contact_forces_;
};

}  // namespace cairn
