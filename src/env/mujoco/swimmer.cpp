#include "cairn/env/mujoco/swimmer.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

MjModelPtr checked_swimmer(MjModelPtr model) {
  if (model && (model->nq < 2 || model->nv < 2)) {
    throw Error(
        "Swimmer: the model must have at least two joints (qpos[0], qpos[1] are the "
        "planar position), got nq = " +
        std::to_string(model->nq));
  }
  return model;
}

// Gymnasium: qpos.size + qvel.size - 2 * exclude_current_positions_from_observation.
size_t observation_size_of(const mjModel* m, const Swimmer::Options& o) {
  if (m == nullptr || m->nq < 2) return 0;  // checked_swimmer / MujocoEnv report it
  return static_cast<size_t>(m->nq + m->nv) -
         (o.exclude_current_positions_from_observation ? 2 : 0);
}

const Swimmer::Options& checked_options(const Swimmer::Options& o) {
  mujoco_detail::check_finite_options("Swimmer",
                                      {{"forward_reward_weight", o.forward_reward_weight},
                                       {"ctrl_cost_weight", o.ctrl_cost_weight},
                                       {"reset_noise_scale", o.reset_noise_scale}});
  return o;
}

}  // namespace

Swimmer::Swimmer(const Options& options)
    : Swimmer(load_mjcf_text(builtin_mjcf("swimmer.xml"), "swimmer.xml"), options) {}

Swimmer::Swimmer(MjModelPtr model, const Options& options)
    : Swimmer(std::move(model), options, observation_size_of(model.get(), options)) {}

Swimmer::Swimmer(MjModelPtr&& model, const Options& options, size_t observation_size)
    : MujocoEnv(checked_swimmer(std::move(model)), options.frame_skip, observation_size,
                {"x_position", "y_position", "distance_from_origin", "x_velocity", "y_velocity",
                 "reward_forward", "reward_ctrl"}),
      options_(checked_options(options)),
      qpos_(this->model().nq),
      qvel_(this->model().nv) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void Swimmer::write_observation(std::span<float> obs) const {
  // Gymnasium: concatenate((qpos[2:] or qpos, qvel)) as float64; cairn rounds to float32.
  const mjModel& m = model();
  const mjData& d = data();
  size_t k = 0;
  for (int i = options_.exclude_current_positions_from_observation ? 2 : 0; i < m.nq; ++i) {
    obs[k++] = static_cast<float>(d.qpos[i]);
  }
  for (int i = 0; i < m.nv; ++i) obs[k++] = static_cast<float>(d.qvel[i]);
}

void Swimmer::set_position_info() {
  // distance_from_origin = np.linalg.norm(qpos[0:2]): the squares summed in order, sqrt.
  const double x = data().qpos[0], y = data().qpos[1];
  StepInfo& info = mutable_info();
  info.set(kXPosition, x);
  info.set(kYPosition, y);
  info.set(kDistanceFromOrigin, std::sqrt(x * x + y * y));
}

void Swimmer::reset_model(std::span<float> obs) {
  // All of qpos's noise is drawn before qvel's, as Gymnasium does.
  const double s = options_.reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  uniform_noise(init_qvel(), -s, s, qvel_);
  set_qpos_qvel(qpos_, qvel_);
  set_position_info();  // Gymnasium's _get_reset_info
  write_observation(obs);
}

StepResult Swimmer::step_model(std::span<const float> action, std::span<float> obs) {
  const double x_before = data().qpos[0], y_before = data().qpos[1];
  do_simulation(action, frame_skip());
  const double x_velocity = (data().qpos[0] - x_before) / dt();
  const double y_velocity = (data().qpos[1] - y_before) / dt();
  write_observation(obs);

  // forward_reward = w_forward * dx/dt; ctrl_cost = w_ctrl * ||action||^2 (float32 squares
  // summed in order, as NumPy sums fewer than 8 elements, then the float64 weight).
  const double forward_reward = options_.forward_reward_weight * x_velocity;
  float squared_norm = 0.0f;
  for (float a : action) squared_norm += a * a;
  const double ctrl_cost = options_.ctrl_cost_weight * static_cast<double>(squared_norm);

  StepResult r;
  r.reward = forward_reward - ctrl_cost;
  r.terminated = false;
  set_position_info();
  StepInfo& info = mutable_info();
  info.set(kXVelocity, x_velocity);
  info.set(kYVelocity, y_velocity);
  info.set(kRewardForward, forward_reward);
  info.set(kRewardCtrl, -ctrl_cost);
  return r;
}

}  // namespace cairn
