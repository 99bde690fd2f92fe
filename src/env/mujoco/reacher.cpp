#include "cairn/env/mujoco/reacher.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

MjModelPtr checked_reacher(MjModelPtr model) {
  if (model && (model->nq != 4 || model->nv != 4)) {
    throw Error(
        "Reacher: the model must have nq = nv = 4 (two arm hinges, the target's x and y), "
        "got nq = " +
        std::to_string(model->nq) + ", nv = " + std::to_string(model->nv));
  }
  return model;
}

int body_id(const mjModel& m, const char* name) {
  const int id = mj_name2id(&m, mjOBJ_BODY, name);
  if (id < 0) throw Error(std::string("Reacher: the model has no body named '") + name + "'");
  return id;
}

const Reacher::Options& checked_options(const Reacher::Options& o) {
  mujoco_detail::check_finite_options("Reacher",
                                      {{"reward_dist_weight", o.reward_dist_weight},
                                       {"reward_control_weight", o.reward_control_weight}});
  return o;
}

}  // namespace

Reacher::Reacher(const Options& options)
    : Reacher(load_mjcf_text(builtin_mjcf("reacher.xml"), "reacher.xml"), options) {}

Reacher::Reacher(MjModelPtr model, const Options& options)
    : MujocoEnv(checked_reacher(std::move(model)), options.frame_skip, 10,
                {"reward_dist", "reward_ctrl"}),
      options_(checked_options(options)),
      fingertip_(body_id(this->model(), "fingertip")),
      target_(body_id(this->model(), "target")),
      qpos_(4),
      qvel_(4) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void Reacher::write_observation(std::span<float> obs) const {
  // Gymnasium: [cos(qpos[:2]), sin(qpos[:2]), qpos[2:], qvel[:2], (fingertip - target)[:2]]
  // as float64; cairn rounds to float32.
  const mjData& d = data();
  obs[0] = static_cast<float>(std::cos(d.qpos[0]));
  obs[1] = static_cast<float>(std::cos(d.qpos[1]));
  obs[2] = static_cast<float>(std::sin(d.qpos[0]));
  obs[3] = static_cast<float>(std::sin(d.qpos[1]));
  obs[4] = static_cast<float>(d.qpos[2]);
  obs[5] = static_cast<float>(d.qpos[3]);
  obs[6] = static_cast<float>(d.qvel[0]);
  obs[7] = static_cast<float>(d.qvel[1]);
  obs[8] = static_cast<float>(d.xpos[3 * fingertip_] - d.xpos[3 * target_]);
  obs[9] = static_cast<float>(d.xpos[3 * fingertip_ + 1] - d.xpos[3 * target_ + 1]);
}

void Reacher::reset_model(std::span<float> obs) {
  // The draws' order is Gymnasium's: qpos noise (all four), the goal by rejection (two draws
  // per try), then qvel noise (all four, the target's then zeroed).
  uniform_noise(init_qpos(), -0.1, 0.1, qpos_);
  do {
    goal_[0] = np_random().uniform(-0.2, 0.2);
    goal_[1] = np_random().uniform(-0.2, 0.2);
  } while (!(std::sqrt(goal_[0] * goal_[0] + goal_[1] * goal_[1]) < 0.2));
  qpos_[2] = goal_[0];
  qpos_[3] = goal_[1];
  uniform_noise(init_qvel(), -0.005, 0.005, qvel_);
  qvel_[2] = 0.0;
  qvel_[3] = 0.0;
  set_qpos_qvel(qpos_, qvel_);
  write_observation(obs);
}

StepResult Reacher::step_model(std::span<const float> action, std::span<float> obs) {
  do_simulation(action, frame_skip());
  write_observation(obs);
  const mjData& d = data();
  // reward_dist = -||fingertip - target|| * w_dist (np.linalg.norm: the squares summed in
  // order, then sqrt).
  double squared_distance = 0.0;
  for (int k = 0; k < 3; ++k) {
    const double v = d.xpos[3 * fingertip_ + k] - d.xpos[3 * target_ + k];
    squared_distance += v * v;
  }
  const double reward_dist = -std::sqrt(squared_distance) * options_.reward_dist_weight;
  // reward_ctrl = -sum(action^2) * w_ctrl: float32 squares summed in order (NumPy sums fewer
  // than 8 elements sequentially), then the float64 weight.
  float squared_norm = 0.0f;
  for (float a : action) squared_norm += a * a;
  const double reward_ctrl = -static_cast<double>(squared_norm) * options_.reward_control_weight;
  StepResult r;
  r.reward = reward_dist + reward_ctrl;
  r.terminated = false;
  mutable_info().set(kRewardDist, reward_dist);
  mutable_info().set(kRewardCtrl, reward_ctrl);
  return r;
}

}  // namespace cairn
