#include "env/mujoco/planar_walker.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn::planar_walker {
namespace {

bool inside(const Range& r, double v) {
  return r.first < v && v < r.second;
}

}  // namespace

std::vector<std::string> info_names() {
  return {"x_position",  "z_distance_from_origin", "x_velocity", "reward_forward",
          "reward_ctrl", "reward_survive"};
}

const Terms& checked(const Terms& t, const char* env) {
  mujoco_detail::check_finite_options(env, {{"forward_reward_weight", t.forward_reward_weight},
                                            {"ctrl_cost_weight", t.ctrl_cost_weight},
                                            {"healthy_reward", t.healthy_reward},
                                            {"reset_noise_scale", t.reset_noise_scale}});
  if (t.healthy_state_range)
    mujoco_detail::check_range_option(env, "healthy_state_range", *t.healthy_state_range);
  mujoco_detail::check_range_option(env, "healthy_z_range", t.healthy_z_range);
  mujoco_detail::check_range_option(env, "healthy_angle_range", t.healthy_angle_range);
  return t;
}

MjModelPtr checked_model(MjModelPtr model, const char* env) {
  if (model && model->nq < 3) {
    throw Error(std::string(env) +
                ": the model must have at least 3 position coordinates (rootx, rootz, rooty: "
                "qpos[1] is the height and qpos[2] the angle the healthy check reads), got " +
                std::to_string(model->nq));
  }
  return model;
}

size_t observation_size(const mjModel* m, const Terms& t) {
  if (m == nullptr || m->nq < 3) return 0;  // checked_model / MujocoEnv report it
  return static_cast<size_t>(m->nq + m->nv) -
         (t.exclude_current_positions_from_observation ? 1 : 0);
}

bool is_healthy(const mjModel& m, const mjData& d, const Terms& t) {
  if (!inside(t.healthy_z_range, d.qpos[1]) || !inside(t.healthy_angle_range, d.qpos[2])) {
    return false;
  }
  if (t.healthy_state_range) {
    // Gymnasium's state_vector()[2:]: qpos from index 2, then every qvel.
    for (int i = 2; i < m.nq; ++i) {
      if (!inside(*t.healthy_state_range, d.qpos[i])) return false;
    }
    for (int i = 0; i < m.nv; ++i) {
      if (!inside(*t.healthy_state_range, d.qvel[i])) return false;
    }
  }
  return true;
}

void write_observation(const mjModel& m, const mjData& d, const Terms& t, std::span<float> obs) {
  // Gymnasium: concatenate((qpos[1:] or qpos, clip(qvel, -10, 10))) in float64; cairn rounds
  // to float32 (clipping before or after the rounding is the same: +-10 is a float32).
  size_t k = 0;
  for (int i = t.exclude_current_positions_from_observation ? 1 : 0; i < m.nq; ++i) {
    obs[k++] = static_cast<float>(d.qpos[i]);
  }
  for (int i = 0; i < m.nv; ++i) obs[k++] = static_cast<float>(std::clamp(d.qvel[i], -10.0, 10.0));
}

void finish_reset(const MujocoEnv& env, StepInfo& info, const Terms& t, std::span<float> obs) {
  const mjData& d = env.data();
  info.set(kXPosition, d.qpos[0]);  // Gymnasium's _get_reset_info
  info.set(kZDistanceFromOrigin, d.qpos[1] - env.init_qpos()[1]);
  write_observation(env.model(), d, t, obs);
}

StepResult step(MujocoEnv& env, StepInfo& info, const Terms& t, std::span<const float> action,
                std::span<float> obs) {
  const mjData& d = env.data();
  const double x_before = d.qpos[0];
  env.do_simulation(action, env.frame_skip());
  const double x_after = d.qpos[0];
  const double x_velocity = (x_after - x_before) / env.dt();
  write_observation(env.model(), d, t, obs);

  const bool healthy = is_healthy(env.model(), d, t);
  // forward_reward = w_forward * dx/dt; healthy_reward = is_healthy * w_healthy (Python's
  // bool times float); ctrl_cost = w_ctrl * ||action||^2, the sum of squares in float32 in
  // order as NumPy sums the float32 action, then scaled in float64.
  const double forward_reward = t.forward_reward_weight * x_velocity;
  const double healthy_reward = (healthy ? 1.0 : 0.0) * t.healthy_reward;
  float squared_norm = 0.0f;
  for (float a : action) squared_norm += a * a;
  const double ctrl_cost = t.ctrl_cost_weight * static_cast<double>(squared_norm);

  StepResult r;
  r.reward = (forward_reward + healthy_reward) - ctrl_cost;
  r.terminated = !healthy && t.terminate_when_unhealthy;
  info.set(kXPosition, x_after);
  info.set(kZDistanceFromOrigin, d.qpos[1] - env.init_qpos()[1]);
  info.set(kXVelocity, x_velocity);
  info.set(kRewardForward, forward_reward);
  info.set(kRewardCtrl, -ctrl_cost);
  info.set(kRewardSurvive, healthy_reward);
  return r;
}

}  // namespace cairn::planar_walker
