// Humanoid: Gymnasium's Humanoid-v5 (gymnasium/envs/mujoco/humanoid_v5.py) on cairn's own
// model (src/env/mujoco/models/humanoid.xml).
//
// A three-dimensional bipedal robot (a torso on a free joint, abdomen, legs and arms: 17
// hinges), 17 motors. Walk forward (+x) without falling.
//
//   Observation  Box(348), in this order: qpos[2..23] (22: torso z, quaternion, hinges),
//                qvel (23), then for the 13 bodies after the world, body by body:
//                cinert (130: 10 each), cvel (78: 6 each), then qfrc_actuator[6..22] (17:
//                the hinges' actuator forces), then cfrc_ext of the 13 bodies (78: 6 each,
//                not clipped). exclude_current_positions_from_observation = false adds
//                qpos[0..1] in front; include_cinert_in_observation,
//                include_cvel_in_observation, include_qfrc_actuator_in_observation and
//                include_cfrc_ext_in_observation = false each drop their part.
//   Action       Box(17) in [-0.4, 0.4]: the motors' controls.
//   Reward       healthy_reward + forward_reward - ctrl_cost - contact_cost, where
//                  forward_reward = forward_reward_weight * x_velocity,
//                  x_velocity = (x of the centre of mass after the step - before) / dt,
//                    the centre of mass = sum(body_mass * xipos) / sum(body_mass) over all
//                    bodies (y_velocity likewise),
//                  healthy_reward = healthy_reward option if healthy, else 0,
//                  ctrl_cost = ctrl_cost_weight * sum(ctrl^2) of data.ctrl (the action
//                    widened to float64, as Gymnasium reads data.ctrl), float64,
//                  contact_cost = clip(contact_cost_weight * sum(cfrc_ext^2), contact_cost_range)
//                    over all bodies (the world's row included, as Gymnasium sums it).
//                Every sum is float64 in NumPy's order (src/env/mujoco/numpy_sum.h).
//                Healthy: healthy_z_range.first < qpos[2] < healthy_z_range.second (strict,
//                as Gymnasium's Humanoid; no finiteness check).
//   Terminated   when not healthy, if terminate_when_unhealthy.
//   Truncated    never by the environment; "Humanoid-v5" adds a TimeLimit of 1000.
//   Frame skip   5 (dt = 0.015 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 24), then
//                qvel = init_qvel + uniform(-s, s, size nv = 23), s = reset_noise_scale
//                (0.01), drawn from np_random() in that order, as Gymnasium draws them.
//   Info         x_position, y_position (qpos[0], qpos[1]), tendon_length[i] and
//                tendon_velocity[i] for each tendon i (Gymnasium's arrays tendon_length and
//                tendon_velocity, element by element), distance_from_origin, x_velocity,
//                y_velocity, reward_survive, reward_forward, reward_ctrl (= -ctrl_cost),
//                reward_contact (= -contact_cost); after reset() only the position and
//                tendon terms and distance_from_origin are set.
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <array>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class Humanoid : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's HumanoidEnv, with its defaults.
  struct Options {
    int frame_skip = 5;
    double forward_reward_weight = 1.25;
    double ctrl_cost_weight = 0.1;
    double contact_cost_weight = 5e-7;
    std::pair<double, double> contact_cost_range{-std::numeric_limits<double>::infinity(), 10.0};
    double healthy_reward = 5.0;
    bool terminate_when_unhealthy = true;
    std::pair<double, double> healthy_z_range{1.0, 2.0};
    double reset_noise_scale = 1e-2;
    bool exclude_current_positions_from_observation = true;
    bool include_cinert_in_observation = true;
    bool include_cvel_in_observation = true;
    bool include_qfrc_actuator_in_observation = true;
    bool include_cfrc_ext_in_observation = true;
  };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit Humanoid(const Options& options);
  // Builds from another MJCF model (Gymnasium's xml_file): a free joint first (qpos[0..2]
  // the root's x, y, z; qvel[0..5] its velocities). Throws cairn::Error if the model has
  // fewer than 7 qpos or 6 qvel, or as MujocoEnv.
  Humanoid(MjModelPtr model, const Options& options);

  // Whether the current state is healthy (see above).
  bool is_healthy() const;
  // Gymnasium's mass_center(): the x and y of the bodies' centre of mass.
  std::array<double, 2> mass_center() const;

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  // Takes `model` after the observation size and info names have been read from it.
  Humanoid(MjModelPtr&& model, const Options& options, size_t observation_size,
           std::vector<std::string> info_names);
  void write_observation(std::span<float> obs) const;
  void set_state_info();

  Options options_;
  std::vector<double> qpos_, qvel_;
  size_t first_step_term_;  // index of x_velocity in info(): after the tendon terms
};

}  // namespace cairn
