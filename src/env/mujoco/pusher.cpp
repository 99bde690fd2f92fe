#include "cairn/env/mujoco/pusher.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

constexpr int kArmJoints = 7;
constexpr double kMinObjectGoalDistance = 0.17;  // the reset's rejection threshold (m)

MjModelPtr checked_pusher(MjModelPtr model) {
  if (model && (model->nq != 11 || model->nv != 11)) {
    throw Error(
        "Pusher: the model must have nq = nv = 11 (seven arm joints, the object's and the "
        "goal's y and x slides), got nq = " +
        std::to_string(model->nq) + ", nv = " + std::to_string(model->nv));
  }
  return model;
}

int body_id(const mjModel& m, const char* name) {
  const int id = mj_name2id(&m, mjOBJ_BODY, name);
  if (id < 0) throw Error(std::string("Pusher: the model has no body named '") + name + "'");
  return id;
}

const Pusher::Options& checked_options(const Pusher::Options& o) {
  mujoco_detail::check_finite_options("Pusher",
                                      {{"reward_near_weight", o.reward_near_weight},
                                       {"reward_dist_weight", o.reward_dist_weight},
                                       {"reward_control_weight", o.reward_control_weight}});
  return o;
}

}  // namespace

Pusher::Pusher(const Options& options)
    : Pusher(load_mjcf_text(builtin_mjcf("pusher.xml"), "pusher.xml"), options) {}

Pusher::Pusher(MjModelPtr model, const Options& options)
    : MujocoEnv(checked_pusher(std::move(model)), options.frame_skip, 23,
                {"reward_dist", "reward_ctrl", "reward_near"}),
      options_(checked_options(options)),
      tips_arm_(body_id(this->model(), "tips_arm")),
      object_(body_id(this->model(), "object")),
      goal_(body_id(this->model(), "goal")),
      qpos_(11),
      qvel_(11) {
  set_computes_body_forces(false);  // nothing reads cacc, cfrc_int or cfrc_ext
}

void Pusher::write_observation(std::span<float> obs) const {
  // Gymnasium: [qpos[:7], qvel[:7], xpos(tips_arm), xpos(object), xpos(goal)] as float64;
  // cairn rounds to float32.
  const mjData& d = data();
  size_t k = 0;
  for (int i = 0; i < kArmJoints; ++i) obs[k++] = static_cast<float>(d.qpos[i]);
  for (int i = 0; i < kArmJoints; ++i) obs[k++] = static_cast<float>(d.qvel[i]);
  for (int body : {tips_arm_, object_, goal_}) {
    for (int c = 0; c < 3; ++c) obs[k++] = static_cast<float>(d.xpos[3 * body + c]);
  }
}

double Pusher::body_distance(int a, int b) const {
  const mjData& d = data();
  double squared = 0.0;
  for (int c = 0; c < 3; ++c) {
    const double v = d.xpos[3 * a + c] - d.xpos[3 * b + c];
    squared += v * v;
  }
  return std::sqrt(squared);
}

void Pusher::reset_model(std::span<float> obs) {
  // Gymnasium's order: the object by rejection (x-range draw, then y-range draw, per try),
  // then the qvel noise. The goal is at the origin of its slides.
  do {
    cylinder_[0] = np_random().uniform(-0.3, 0.0);
    cylinder_[1] = np_random().uniform(-0.2, 0.2);
  } while (!(std::sqrt(cylinder_[0] * cylinder_[0] + cylinder_[1] * cylinder_[1]) >
             kMinObjectGoalDistance));
  const std::span<const double> qpos0 = init_qpos();
  std::copy(qpos0.begin(), qpos0.end(), qpos_.begin());
  qpos_[7] = cylinder_[0];
  qpos_[8] = cylinder_[1];
  qpos_[9] = 0.0;
  qpos_[10] = 0.0;
  uniform_noise(init_qvel(), -0.005, 0.005, qvel_);
  std::fill(qvel_.begin() + 7, qvel_.end(), 0.0);
  set_qpos_qvel(qpos_, qvel_);
  write_observation(obs);
}

StepResult Pusher::step_model(std::span<const float> action, std::span<float> obs) {
  do_simulation(action, frame_skip());
  write_observation(obs);
  const double reward_near = -body_distance(object_, tips_arm_) * options_.reward_near_weight;
  const double reward_dist = -body_distance(object_, goal_) * options_.reward_dist_weight;
  // reward_ctrl = -sum(action^2) * w_ctrl: float32 squares summed in order (NumPy sums fewer
  // than 8 elements sequentially), then the float64 weight.
  float squared_norm = 0.0f;
  for (float a : action) squared_norm += a * a;
  const double reward_ctrl = -static_cast<double>(squared_norm) * options_.reward_control_weight;
  StepResult r;
  r.reward = reward_dist + reward_ctrl + reward_near;  // Gymnasium's order of the sum
  r.terminated = false;
  StepInfo& info = mutable_info();
  info.set(kRewardDist, reward_dist);
  info.set(kRewardCtrl, reward_ctrl);
  info.set(kRewardNear, reward_near);
  return r;
}

}  // namespace cairn
