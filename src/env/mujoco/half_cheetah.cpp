#include "cairn/env/mujoco/half_cheetah.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

MjModelPtr checked_cheetah(MjModelPtr model) {
  if (model && (model->nq < 1 || model->nv < 1)) {
    throw Error("HalfCheetah: the model must have a joint (qpos[0] is the forward position)");
  }
  return model;
}

// Gymnasium: qpos.size + qvel.size - exclude_current_positions_from_observation.
size_t observation_size_of(const mjModel* m, const HalfCheetah::Options& o) {
  if (m == nullptr || m->nq < 1) return 0;  // checked_cheetah / MujocoEnv report it
  return static_cast<size_t>(m->nq + m->nv) -
         (o.exclude_current_positions_from_observation ? 1 : 0);
}

const HalfCheetah::Options& checked_options(const HalfCheetah::Options& o) {
  mujoco_detail::check_finite_options("HalfCheetah",
                                      {{"forward_reward_weight", o.forward_reward_weight},
                                       {"ctrl_cost_weight", o.ctrl_cost_weight},
                                       {"reset_noise_scale", o.reset_noise_scale}});
  return o;
}

}  // namespace

HalfCheetah::HalfCheetah(const Options& options)
    : HalfCheetah(load_mjcf_text(builtin_mjcf("half_cheetah.xml"), "half_cheetah.xml"), options) {}

HalfCheetah::HalfCheetah(MjModelPtr model, const Options& options)
    : HalfCheetah(std::move(model), options, observation_size_of(model.get(), options)) {}

HalfCheetah::HalfCheetah(MjModelPtr&& model, const Options& options, size_t observation_size)
    : MujocoEnv(checked_cheetah(std::move(model)), options.frame_skip, observation_size,
                {"x_position", "x_velocity", "reward_forward", "reward_ctrl"}),
      options_(checked_options(options)),
      qpos_(this->model().nq),
      qvel_(this->model().nv) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void HalfCheetah::write_observation(std::span<float> obs) const {
  // Gymnasium: concatenate((qpos[1:] or qpos, qvel)) as float64; cairn rounds to float32.
  const mjModel& m = model();
  const mjData& d = data();
  size_t k = 0;
  for (int i = options_.exclude_current_positions_from_observation ? 1 : 0; i < m.nq; ++i) {
    obs[k++] = static_cast<float>(d.qpos[i]);
  }
  for (int i = 0; i < m.nv; ++i) obs[k++] = static_cast<float>(d.qvel[i]);
}

void HalfCheetah::reset_model(std::span<float> obs) {
  // All of qpos's uniform noise is drawn before qvel's normal noise, as Gymnasium does:
  // qvel = init_qvel + reset_noise_scale * standard_normal(nv).
  const double s = options_.reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  const std::span<const double> qvel0 = init_qvel();
  for (size_t i = 0; i < qvel_.size(); ++i) qvel_[i] = qvel0[i] + s * np_random().standard_normal();
  set_qpos_qvel(qpos_, qvel_);
  mutable_info().set(kXPosition, data().qpos[0]);  // Gymnasium's _get_reset_info
  write_observation(obs);
}

StepResult HalfCheetah::step_model(std::span<const float> action, std::span<float> obs) {
  const double x_before = data().qpos[0];
  do_simulation(action, frame_skip());
  const double x_after = data().qpos[0];
  const double x_velocity = (x_after - x_before) / dt();
  write_observation(obs);

  // forward_reward = w_forward * dx/dt; ctrl_cost = w_ctrl * ||action||^2. Gymnasium's
  // np.sum(np.square(action)) of a float32 action squares and sums in float32, in order (NumPy
  // sums fewer than 8 elements sequentially), and the float64 weight times it is float64.
  const double forward_reward = options_.forward_reward_weight * x_velocity;
  float squared_norm = 0.0f;
  for (float a : action) squared_norm += a * a;
  const double ctrl_cost = options_.ctrl_cost_weight * static_cast<double>(squared_norm);

  StepResult r;
  r.reward = forward_reward - ctrl_cost;
  r.terminated = false;
  StepInfo& info = mutable_info();
  info.set(kXPosition, x_after);
  info.set(kXVelocity, x_velocity);
  info.set(kRewardForward, forward_reward);
  info.set(kRewardCtrl, -ctrl_cost);
  return r;
}

}  // namespace cairn
