#include "cairn/env/mujoco/walker2d.h"

#include "env/mujoco/planar_walker.h"

namespace cairn {
namespace {

planar_walker::Terms terms_of(const Walker2d::Options& o) {
  planar_walker::Terms t;
  t.forward_reward_weight = o.forward_reward_weight;
  t.ctrl_cost_weight = o.ctrl_cost_weight;
  t.healthy_reward = o.healthy_reward;
  t.terminate_when_unhealthy = o.terminate_when_unhealthy;
  t.healthy_z_range = o.healthy_z_range;
  t.healthy_angle_range = o.healthy_angle_range;
  t.reset_noise_scale = o.reset_noise_scale;
  t.exclude_current_positions_from_observation = o.exclude_current_positions_from_observation;
  return t;
}

}  // namespace

Walker2d::Walker2d(const Options& options)
    : Walker2d(load_mjcf_text(builtin_mjcf("walker2d.xml"), "walker2d.xml"), options) {}

Walker2d::Walker2d(MjModelPtr model, const Options& options)
    : Walker2d(std::move(model), options,
               planar_walker::observation_size(model.get(), terms_of(options))) {}

Walker2d::Walker2d(MjModelPtr&& model, const Options& options, size_t observation_size)
    : MujocoEnv(planar_walker::checked_model(std::move(model), "Walker2d"), options.frame_skip,
                observation_size, planar_walker::info_names()),
      terms_(std::make_unique<planar_walker::Terms>(
          planar_walker::checked(terms_of(options), "Walker2d"))),
      qpos_(this->model().nq),
      qvel_(this->model().nv) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

Walker2d::~Walker2d() = default;

bool Walker2d::is_healthy() const {
  return planar_walker::is_healthy(model(), data(), *terms_);
}

void Walker2d::reset_model(std::span<float> obs) {
  // Gymnasium draws all of qpos's uniform noise, then all of qvel's.
  const double s = terms_->reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  uniform_noise(init_qvel(), -s, s, qvel_);
  set_qpos_qvel(qpos_, qvel_);
  planar_walker::finish_reset(*this, mutable_info(), *terms_, obs);
}

StepResult Walker2d::step_model(std::span<const float> action, std::span<float> obs) {
  return planar_walker::step(*this, mutable_info(), *terms_, action, obs);
}

}  // namespace cairn
