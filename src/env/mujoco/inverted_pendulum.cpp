#include "cairn/env/mujoco/inverted_pendulum.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

constexpr double kMaxPoleAngle = 0.2;  // rad; beyond it the episode terminates

MjModelPtr checked_pendulum(MjModelPtr model) {
  if (model && (model->nq != 2 || model->nv != 2 || model->nu != 1)) {
    throw Error("InvertedPendulum: the model must have nq = nv = 2 and nu = 1, got nq = " +
                std::to_string(model->nq) + ", nv = " + std::to_string(model->nv) +
                ", nu = " + std::to_string(model->nu));
  }
  return model;
}

}  // namespace

InvertedPendulum::InvertedPendulum(const Options& options)
    : InvertedPendulum(
          load_mjcf_text(builtin_mjcf("inverted_pendulum.xml"), "inverted_pendulum.xml"), options) {
}

InvertedPendulum::InvertedPendulum(MjModelPtr model, const Options& options)
    : MujocoEnv(checked_pendulum(std::move(model)), options.frame_skip, 4, {"reward_survive"}),
      reset_noise_scale_(options.reset_noise_scale),
      qpos_(2),
      qvel_(2) {
  mujoco_detail::check_finite_options("InvertedPendulum",
                                      {{"reset_noise_scale", reset_noise_scale_}});
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void InvertedPendulum::write_observation(std::span<float> obs) const {
  // Gymnasium: concatenate([qpos, qvel]) as float64; cairn rounds it to float32.
  const mjData& d = data();
  obs[0] = static_cast<float>(d.qpos[0]);
  obs[1] = static_cast<float>(d.qpos[1]);
  obs[2] = static_cast<float>(d.qvel[0]);
  obs[3] = static_cast<float>(d.qvel[1]);
}

void InvertedPendulum::reset_model(std::span<float> obs) {
  // All of qpos's noise is drawn before qvel's, as Gymnasium does.
  uniform_noise(init_qpos(), -reset_noise_scale_, reset_noise_scale_, qpos_);
  uniform_noise(init_qvel(), -reset_noise_scale_, reset_noise_scale_, qvel_);
  set_qpos_qvel(qpos_, qvel_);
  write_observation(obs);
}

StepResult InvertedPendulum::step_model(std::span<const float> action, std::span<float> obs) {
  do_simulation(action, frame_skip());
  write_observation(obs);
  const mjData& d = data();
  // Gymnasium tests the float64 observation: qpos and qvel.
  const bool finite = std::isfinite(d.qpos[0]) && std::isfinite(d.qpos[1]) &&
                      std::isfinite(d.qvel[0]) && std::isfinite(d.qvel[1]);
  StepResult r;
  r.terminated = !finite || std::fabs(d.qpos[1]) > kMaxPoleAngle;
  r.reward = r.terminated ? 0.0 : 1.0;  // reward = int(not terminated)
  mutable_info().set(0, r.reward);
  return r;
}

}  // namespace cairn
