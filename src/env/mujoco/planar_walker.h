// What Gymnasium's two planar walkers, Hopper-v5 and Walker2d-v5, have in common
// (gymnasium/envs/mujoco/hopper_v5.py, walker2d_v5.py): a robot whose root moves in the x-z
// plane (qpos[0] = rootx, qpos[1] = rootz, the height; qpos[2] = rooty, the torso's pitch),
// rewarded for running forward and for staying healthy, paying for control. The two differ
// only in their model, their defaults, and Hopper's extra healthy_state_range; Hopper
// (hopper.cpp) and Walker2d (walker2d.cpp) hold those and call these functions.
//
// Not part of cairn's public headers: include/cairn/env/mujoco/{hopper,walker2d}.h are the
// contract. Nothing here allocates after construction.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn::planar_walker {

// Gymnasium's (min, max) tuple; a value is inside when min < value < max (both strict, as
// Gymnasium compares), so NaN is never inside.
using Range = std::pair<double, double>;

// The reward weights and healthy ranges of one walker, validated by checked().
struct Terms {
  double forward_reward_weight = 1.0;
  double ctrl_cost_weight = 1e-3;
  double healthy_reward = 1.0;
  bool terminate_when_unhealthy = true;
  // Hopper's check of state_vector()[2:] (qpos[2:] and all of qvel); Walker2d has none.
  std::optional<Range> healthy_state_range;
  Range healthy_z_range;      // of qpos[1]
  Range healthy_angle_range;  // of qpos[2]
  double reset_noise_scale = 5e-3;
  bool exclude_current_positions_from_observation = true;
};

// The info() terms of both walkers, in Gymnasium's order, and their indices.
std::vector<std::string> info_names();
enum InfoTerm : size_t {
  kXPosition,
  kZDistanceFromOrigin,
  kXVelocity,
  kRewardForward,
  kRewardCtrl,
  kRewardSurvive
};

// Returns `terms` after checking it; throws cairn::Error naming the option (with `env`, e.g.
// "Hopper", first) for a non-finite weight or noise scale, or a range that is NaN or has
// min > max.
const Terms& checked(const Terms& terms, const char* env);

// Returns `model` after checking that it has the planar root the terms read (nq >= 3).
// Throws cairn::Error naming `env`. A null model passes through (MujocoEnv reports it).
MjModelPtr checked_model(MjModelPtr model, const char* env);

// nq + nv, less one when the current position is excluded (0 for a null model).
size_t observation_size(const mjModel* model, const Terms& terms);

// Gymnasium's is_healthy: healthy_z_range contains qpos[1], healthy_angle_range contains
// qpos[2] and, when set, healthy_state_range contains each of qpos[2:] and qvel.
bool is_healthy(const mjModel& model, const mjData& data, const Terms& terms);

// qpos[1:] (or all of qpos), then qvel clipped to [-10, 10], rounded to float32.
void write_observation(const mjModel& model, const mjData& data, const Terms& terms,
                       std::span<float> obs);

// After the reset's set_qpos_qvel: the reset info (x_position, z_distance_from_origin) and
// the first observation.
void finish_reset(const MujocoEnv& env, StepInfo& info, const Terms& terms, std::span<float> obs);

// One environment step: do_simulation(action, frame_skip), then Gymnasium's
//   reward = (forward_reward + healthy_reward) - ctrl_cost,
//   forward_reward = forward_reward_weight * x_velocity,
//   healthy_reward = is_healthy * healthy_reward weight (0 when unhealthy, as v5 reports it),
//   ctrl_cost = ctrl_cost_weight * sum(action^2) (float32 squares summed in order, as NumPy
//               sums a float32 array of fewer than 8 elements; then float64),
//   terminated = !is_healthy && terminate_when_unhealthy,
// and the info terms.
StepResult step(MujocoEnv& env, StepInfo& info, const Terms& terms, std::span<const float> action,
                std::span<float> obs);

}  // namespace cairn::planar_walker
