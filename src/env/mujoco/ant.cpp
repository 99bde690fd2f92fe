#include "cairn/env/mujoco/ant.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/numpy_sum.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

using mujoco_detail::numpy_sum_of_squares;

MjModelPtr checked_ant(MjModelPtr model, const Ant::Options& o) {
  if (!model) return model;  // MujocoEnv reports it
  if (model->nq < 3) {
    throw Error("Ant: the model must have at least 3 qpos (the torso's x, y, z first), has " +
                std::to_string(model->nq));
  }
  if (o.main_body < 0 || o.main_body >= model->nbody) {
    throw Error("Ant: option 'main_body' must be a body id in [0, " + std::to_string(model->nbody) +
                "), got " + std::to_string(o.main_body));
  }
  return model;
}

// Gymnasium: nq + nv - 2 * exclude_current_positions + 6 * (nbody - 1) * include_cfrc_ext.
size_t observation_size_of(const mjModel* m, const Ant::Options& o) {
  if (m == nullptr || m->nq < 3) return 0;  // checked_ant / MujocoEnv report it
  return static_cast<size_t>(m->nq + m->nv) -
         (o.exclude_current_positions_from_observation ? 2 : 0) +
         (o.include_cfrc_ext_in_observation ? 6 * static_cast<size_t>(m->nbody - 1) : 0);
}

const Ant::Options& checked_options(const Ant::Options& o) {
  mujoco_detail::check_finite_options("Ant", {{"forward_reward_weight", o.forward_reward_weight},
                                              {"ctrl_cost_weight", o.ctrl_cost_weight},
                                              {"contact_cost_weight", o.contact_cost_weight},
                                              {"healthy_reward", o.healthy_reward},
                                              {"reset_noise_scale", o.reset_noise_scale}});
  mujoco_detail::check_range_option("Ant", "healthy_z_range", o.healthy_z_range);
  mujoco_detail::check_range_option("Ant", "contact_force_range", o.contact_force_range);
  return o;
}

}  // namespace

Ant::Ant(const Options& options)
    : Ant(load_mjcf_text(builtin_mjcf("ant.xml"), "ant.xml"), options) {}

Ant::Ant(MjModelPtr model, const Options& options)
    : Ant(std::move(model), options, observation_size_of(model.get(), options)) {}

Ant::Ant(MjModelPtr&& model, const Options& options, size_t observation_size)
    : MujocoEnv(checked_ant(std::move(model), options), options.frame_skip, observation_size,
                {"x_position", "y_position", "distance_from_origin", "x_velocity", "y_velocity",
                 "reward_forward", "reward_ctrl", "reward_contact", "reward_survive"}),
      options_(checked_options(options)),
      qpos_(this->model().nq),
      qvel_(this->model().nv),
      contact_forces_(6 * static_cast<size_t>(this->model().nbody)) {}

bool Ant::is_healthy() const {
  // Gymnasium: np.isfinite(state_vector()).all() and min_z <= qpos[2] <= max_z.
  const mjModel& m = model();
  const mjData& d = data();
  for (int i = 0; i < m.nq; ++i) {
    if (!std::isfinite(d.qpos[i])) return false;
  }
  for (int i = 0; i < m.nv; ++i) {
    if (!std::isfinite(d.qvel[i])) return false;
  }
  return options_.healthy_z_range.first <= d.qpos[2] &&
         d.qpos[2] <= options_.healthy_z_range.second;
}

void Ant::clip_contact_forces() {
  // np.clip(cfrc_ext, low, high) = min(max(x, low), high).
  const mjData& d = data();
  const auto [low, high] = options_.contact_force_range;
  for (size_t i = 0; i < contact_forces_.size(); ++i) {
    contact_forces_[i] = std::min(std::max(d.cfrc_ext[i], low), high);
  }
}

void Ant::write_observation(std::span<float> obs) const {
  // Gymnasium: concatenate((qpos[2:] or qpos, qvel, clipped cfrc_ext[1:].flat)) as float64;
  // cairn rounds to float32. contact_forces_ is current (clip_contact_forces ran).
  const mjModel& m = model();
  const mjData& d = data();
  size_t k = 0;
  for (int i = options_.exclude_current_positions_from_observation ? 2 : 0; i < m.nq; ++i) {
    obs[k++] = static_cast<float>(d.qpos[i]);
  }
  for (int i = 0; i < m.nv; ++i) obs[k++] = static_cast<float>(d.qvel[i]);
  if (options_.include_cfrc_ext_in_observation) {
    for (size_t i = 6; i < contact_forces_.size(); ++i)
      obs[k++] = static_cast<float>(contact_forces_[i]);
  }
}

void Ant::set_position_info() {
  // Gymnasium's x_position, y_position and np.linalg.norm(qpos[0:2]) = sqrt(x*x + y*y).
  const double x = data().qpos[0], y = data().qpos[1];
  StepInfo& info = mutable_info();
  info.set(kXPosition, x);
  info.set(kYPosition, y);
  info.set(kDistanceFromOrigin, std::sqrt(x * x + y * y));
}

void Ant::reset_model(std::span<float> obs) {
  // All of qpos's uniform noise is drawn before qvel's normal noise, as Gymnasium does:
  // qvel = init_qvel + reset_noise_scale * standard_normal(nv).
  const double s = options_.reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  const std::span<const double> qvel0 = init_qvel();
  for (size_t i = 0; i < qvel_.size(); ++i) qvel_[i] = qvel0[i] + s * np_random().standard_normal();
  set_qpos_qvel(qpos_, qvel_);
  clip_contact_forces();
  set_position_info();  // Gymnasium's _get_reset_info
  write_observation(obs);
}

StepResult Ant::step_model(std::span<const float> action, std::span<float> obs) {
  const double* xpos = data().xpos + 3 * options_.main_body;
  const double x_before = xpos[0], y_before = xpos[1];
  do_simulation(action, frame_skip());
  const double x_velocity = (xpos[0] - x_before) / dt();
  const double y_velocity = (xpos[1] - y_before) / dt();
  clip_contact_forces();
  write_observation(obs);

  // forward_reward = w_forward * dx/dt (of the main body's frame origin);
  // healthy_reward = w_healthy if healthy; ctrl_cost = w_ctrl * np.sum(np.square(action)) of
  // the float32 action (float32 squares and sum, NumPy's order); contact_cost = w_contact *
  // np.sum(np.square(clipped cfrc_ext)) over all nbody * 6 values (float64, NumPy's order).
  const bool healthy = is_healthy();
  const double forward_reward = x_velocity * options_.forward_reward_weight;
  const double healthy_reward = healthy ? options_.healthy_reward : 0.0;
  const double ctrl_cost =
      options_.ctrl_cost_weight * static_cast<double>(numpy_sum_of_squares<float>(action));
  const double contact_cost =
      options_.contact_cost_weight *
      numpy_sum_of_squares<double>(std::span<const double>(contact_forces_));

  StepResult r;
  r.reward = (forward_reward + healthy_reward) - (ctrl_cost + contact_cost);
  r.terminated = !healthy && options_.terminate_when_unhealthy;
  set_position_info();
  StepInfo& info = mutable_info();
  info.set(kXVelocity, x_velocity);
  info.set(kYVelocity, y_velocity);
  info.set(kRewardForward, forward_reward);
  info.set(kRewardCtrl, -ctrl_cost);
  info.set(kRewardContact, -contact_cost);
  info.set(kRewardSurvive, healthy_reward);
  return r;
}

}  // namespace cairn
