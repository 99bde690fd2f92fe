// Pusher: Gymnasium's Pusher-v5 (gymnasium/envs/mujoco/pusher_v5.py) on cairn's own model
// (src/env/mujoco/models/pusher.xml, Gymnasium's v5 model pusher_v5.xml).
//
// A seven-joint arm pushes an object (a cylinder on two slide joints) towards a goal on a
// table. qpos: the arm's seven joints, the object's y then x slide (qpos[7], qpos[8]), the
// goal's y then x slide (qpos[9], qpos[10]); the same for qvel.
//
//   Observation  Box(23): qpos[0..6], qvel[0..6] (the arm), then the origins (xpos) of the
//                bodies "tips_arm", "object" and "goal" (3 each).
//   Action       Box(7) in [-2, 2]: the motors' controls.
//   Reward       reward_dist + reward_ctrl + reward_near (summed in that order), where
//                  reward_near = -|object - tips_arm| * reward_near_weight,
//                  reward_dist = -|object - goal| * reward_dist_weight,
//                  reward_ctrl = -sum(action^2) * reward_control_weight, from the action as
//                                given, squared and summed in float32 as NumPy does for
//                                Gymnasium's float32 actions (sequentially: 7 elements),
//                                then scaled in float64.
//   Terminated   never.
//   Truncated    never by the environment; "Pusher-v5" adds a TimeLimit of 100.
//   Frame skip   5 (dt = 0.05 s).
//   Reset        from np_random(), in this order, as Gymnasium draws them:
//                  object = (uniform(-0.3, 0), uniform(-0.2, 0.2)), drawn again until
//                           |object| > 0.17 (its distance from the goal at the origin);
//                  qpos = init_qpos with qpos[7..8] = object (Gymnasium assigns the first
//                         draw to the y slide, qpos[7]) and qpos[9..10] = 0 (the goal);
//                  qvel = init_qvel + uniform(-0.005, 0.005, size nv = 11), then
//                         qvel[7..10] = 0.
//                The arm starts exactly at init_qpos (no position noise).
//   Info         reward_dist, reward_ctrl, reward_near; all 0 after reset().
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class Pusher : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's PusherEnv, with its defaults.
  struct Options {
    int frame_skip = 5;
    double reward_near_weight = 0.5;
    double reward_dist_weight = 1.0;
    double reward_control_weight = 0.1;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t { kRewardDist, kRewardCtrl, kRewardNear };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit Pusher(const Options& options);
  // Builds from another MJCF model of the same structure (Gymnasium's xml_file): nq = nv = 11
  // and bodies named "tips_arm", "object" and "goal". Throws cairn::Error otherwise or as
  // MujocoEnv.
  Pusher(MjModelPtr model, const Options& options);

  // The object position the last reset() drew (assigned to qpos[7], qpos[8]).
  std::array<double, 2> cylinder_position() const { return cylinder_; }

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;
  // |xpos[a] - xpos[b]| of two bodies, as np.linalg.norm: squares summed in order, sqrt.
  double body_distance(int a, int b) const;

  Options options_;
  int tips_arm_ = -1, object_ = -1, goal_ = -1;  // body ids
  std::array<double, 2> cylinder_{};
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
