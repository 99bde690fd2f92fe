// Reacher: Gymnasium's Reacher-v5 (gymnasium/envs/mujoco/reacher_v5.py) on cairn's own
// model (src/env/mujoco/models/reacher.xml).
//
// A two-link arm in the plane (shoulder and elbow hinges, a motor at each) reaches for a
// target placed at random by the reset. The target's position is qpos[2..3] (two slide
// joints); the arm's tip is the body "fingertip".
//
//   Observation  Box(10): cos(qpos[0]), cos(qpos[1]), sin(qpos[0]), sin(qpos[1]) (the arm's
//                angles), qpos[2..3] (the target), qvel[0..1] (the arm's angular velocities),
//                (fingertip - target)[x, y] (body origins, xpos).
//   Action       Box(2) in [-1, 1]: the motors' controls (gear 200).
//   Reward       reward_dist + reward_ctrl, where
//                  reward_dist = -|fingertip - target| * reward_dist_weight (3-d distance of
//                                the body origins after the step),
//                  reward_ctrl = -sum(action^2) * reward_control_weight, from the action as
//                                given, squared and summed in float32 as NumPy does for
//                                Gymnasium's float32 actions, then scaled in float64.
//   Terminated   never.
//   Truncated    never by the environment; "Reacher-v5" adds a TimeLimit of 50.
//   Frame skip   2 (dt = 0.02 s).
//   Reset        from np_random(), in this order, as Gymnasium draws them:
//                  qpos = init_qpos + uniform(-0.1, 0.1, size nq = 4);
//                  goal = uniform(-0.2, 0.2, size 2), drawn again until |goal| < 0.2;
//                  qpos[2..3] = goal;
//                  qvel = init_qvel + uniform(-0.005, 0.005, size nv = 4), then qvel[2..3] = 0.
//                (The ranges are Gymnasium's fixed ones: Reacher has no reset_noise_scale.)
//   Info         reward_dist, reward_ctrl; both 0 after reset().
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class Reacher : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's ReacherEnv, with its defaults.
  struct Options {
    int frame_skip = 2;
    double reward_dist_weight = 1.0;
    double reward_control_weight = 1.0;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t { kRewardDist, kRewardCtrl };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit Reacher(const Options& options);
  // Builds from another MJCF model of the same structure (Gymnasium's xml_file): nq = nv = 4
  // and bodies named "fingertip" and "target". Throws cairn::Error otherwise or as MujocoEnv.
  Reacher(MjModelPtr model, const Options& options);

  // The goal the last reset() drew (x, y).
  std::array<double, 2> goal() const { return goal_; }

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  Options options_;
  int fingertip_ = -1, target_ = -1;  // body ids
  std::array<double, 2> goal_{};
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
