// InvertedDoublePendulum: Gymnasium's InvertedDoublePendulum-v5 (gymnasium/envs/mujoco/
// inverted_double_pendulum_v5.py) on cairn's own model
// (src/env/mujoco/models/inverted_double_pendulum.xml).
//
// A cart on a rail carries two poles hinged end to end; one motor pushes the cart. Keep the
// tip of the upper pole high and above the rail's centre.
//
//   Observation  Box(9): qpos[0] (cart position), sin(qpos[1]), sin(qpos[2]), cos(qpos[1]),
//                cos(qpos[2]) (the two hinge angles), clip(qvel, -10, 10) (3),
//                clip(qfrc_constraint[0], -10, 10) (the slider's constraint force; v5 keeps
//                only this element).
//   Action       Box(1) in [-1, 1]: the motor's control (gear 500).
//   Reward       alive_bonus - distance_penalty - velocity_penalty, where, with (x, y) the
//                x and z coordinates of the site "tip" after the step,
//                  alive_bonus = healthy_reward if not terminated, else 0 (v5: no bonus on
//                                the terminating step),
//                  distance_penalty = 0.01 * x^2 + (y - 2)^2,
//                  velocity_penalty = 0.001 * qvel[1]^2 + 0.005 * qvel[2]^2,
//                all in float64.
//   Terminated   when y <= 1.
//   Truncated    never by the environment; "InvertedDoublePendulum-v5" adds a TimeLimit of
//                1000.
//   Frame skip   5 (dt = 0.05 s).
//   Reset        qpos = init_qpos + uniform(-s, s, size nq = 3), then
//                qvel = init_qvel + s * standard_normal(size nv = 3), s = reset_noise_scale
//                (0.1), drawn from np_random() in that order, as Gymnasium draws them.
//   Info         reward_survive (= alive_bonus), distance_penalty (= -distance_penalty),
//                velocity_penalty (= -velocity_penalty); all 0 after reset().
//
// Thread safety and allocation: as MujocoEnv.
#pragma once

#include <span>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"

namespace cairn {

class InvertedDoublePendulum : public MujocoEnv {
 public:
  // The constructor arguments of Gymnasium's InvertedDoublePendulumEnv, with its defaults.
  struct Options {
    int frame_skip = 5;
    double healthy_reward = 10.0;
    double reset_noise_scale = 0.1;
  };
  // The info() terms, in this order.
  enum InfoTerm : size_t { kRewardSurvive, kDistancePenalty, kVelocityPenalty };

  // Builds from cairn's built-in model. Throws cairn::Error on invalid options (naming them).
  explicit InvertedDoublePendulum(const Options& options);
  // Builds from another MJCF model of the same structure (Gymnasium's xml_file): nq = nv = 3,
  // nu = 1 and a site (site 0 is the tip). Throws cairn::Error otherwise or as MujocoEnv.
  InvertedDoublePendulum(MjModelPtr model, const Options& options);

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  Options options_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
