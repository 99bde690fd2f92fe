#include "cairn/env/mujoco/inverted_double_pendulum.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"
#include "env/numpy_math.h"

namespace cairn {
namespace {

// Gymnasium clips the observed velocities and constraint force to [-10, 10].
constexpr double kObservationClip = 10.0;
// The episode ends when the tip's height is at or below this (m; upright it is 1.2).
constexpr double kMinTipHeight = 1.0;

MjModelPtr checked_double_pendulum(MjModelPtr model) {
  if (model && (model->nq != 3 || model->nv != 3 || model->nu != 1 || model->nsite < 1)) {
    throw Error(
        "InvertedDoublePendulum: the model must have nq = nv = 3, nu = 1 and a tip site, got "
        "nq = " +
        std::to_string(model->nq) + ", nv = " + std::to_string(model->nv) +
        ", nu = " + std::to_string(model->nu) + ", nsite = " + std::to_string(model->nsite));
  }
  return model;
}

const InvertedDoublePendulum::Options& checked_options(const InvertedDoublePendulum::Options& o) {
  mujoco_detail::check_finite_options(
      "InvertedDoublePendulum",
      {{"healthy_reward", o.healthy_reward}, {"reset_noise_scale", o.reset_noise_scale}});
  return o;
}

}  // namespace

InvertedDoublePendulum::InvertedDoublePendulum(const Options& options)
    : InvertedDoublePendulum(load_mjcf_text(builtin_mjcf("inverted_double_pendulum.xml"),
                                            "inverted_double_pendulum.xml"),
                             options) {}

InvertedDoublePendulum::InvertedDoublePendulum(MjModelPtr model, const Options& options)
    : MujocoEnv(checked_double_pendulum(std::move(model)), options.frame_skip, 9,
                {"reward_survive", "distance_penalty", "velocity_penalty"}),
      options_(checked_options(options)),
      qpos_(3),
      qvel_(3) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void InvertedDoublePendulum::write_observation(std::span<float> obs) const {
  // Gymnasium: [qpos[:1], sin(qpos[1:]), cos(qpos[1:]), clip(qvel), clip(qfrc_constraint)[:1]]
  // as float64; cairn rounds to float32.
  const mjData& d = data();
  obs[0] = static_cast<float>(d.qpos[0]);
  obs[1] = static_cast<float>(std::sin(d.qpos[1]));
  obs[2] = static_cast<float>(std::sin(d.qpos[2]));
  obs[3] = static_cast<float>(std::cos(d.qpos[1]));
  obs[4] = static_cast<float>(std::cos(d.qpos[2]));
  for (int i = 0; i < 3; ++i) {
    obs[5 + i] =
        static_cast<float>(envs_detail::np_clip(d.qvel[i], -kObservationClip, kObservationClip));
  }
  obs[8] = static_cast<float>(
      envs_detail::np_clip(d.qfrc_constraint[0], -kObservationClip, kObservationClip));
}

void InvertedDoublePendulum::reset_model(std::span<float> obs) {
  // All of qpos's uniform noise is drawn before qvel's normal noise, as Gymnasium does.
  const double s = options_.reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  const std::span<const double> qvel0 = init_qvel();
  for (size_t i = 0; i < qvel_.size(); ++i) qvel_[i] = qvel0[i] + np_random().standard_normal() * s;
  set_qpos_qvel(qpos_, qvel_);
  write_observation(obs);
}

StepResult InvertedDoublePendulum::step_model(std::span<const float> action, std::span<float> obs) {
  do_simulation(action, frame_skip());
  write_observation(obs);
  const mjData& d = data();
  const double x = d.site_xpos[0];  // the tip (site 0): x and height z
  const double y = d.site_xpos[2];
  StepResult r;
  r.terminated = y <= kMinTipHeight;
  // Gymnasium squares with `**2` on NumPy float64 scalars: the C library's pow (py_square),
  // which differs from x * x in the last bit for about one input in a thousand.
  const double distance_penalty = 0.01 * envs_detail::py_square(x) + envs_detail::py_square(y - 2);
  const double velocity_penalty =
      1e-3 * envs_detail::py_square(d.qvel[1]) + 5e-3 * envs_detail::py_square(d.qvel[2]);
  const double alive_bonus = r.terminated ? 0.0 : options_.healthy_reward;
  r.reward = alive_bonus - distance_penalty - velocity_penalty;
  StepInfo& info = mutable_info();
  info.set(kRewardSurvive, alive_bonus);
  info.set(kDistancePenalty, -distance_penalty);
  info.set(kVelocityPenalty, -velocity_penalty);
  return r;
}

}  // namespace cairn
