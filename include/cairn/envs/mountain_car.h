// MountainCar: Gymnasium 1.2.2's MountainCar-v0
// (gymnasium/envs/classic_control/mountain_car.py), reproduced bit for bit.
//
// An under-powered car in a valley must rock back and forth to reach the flag on the
// right hill.
//
//   Observation  Box(2) float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07].
//   Action       Discrete(3): 0 accelerates left, 1 does nothing, 2 accelerates right.
//   Reward       -1 for every step.
//   Terminated   when position >= 0.5 and velocity >= goal_velocity (default 0).
//   Truncated    never by the environment itself; "MountainCar-v0" in the registry adds
//                a TimeLimit of 200 steps (reward threshold -110).
//   Reset        position uniform in [-0.6, -0.4) drawn from np_random() as Gymnasium
//                draws it; velocity 0.
//
// Dynamics: velocity += (action - 1) * 0.001 + cos(3 * position) * (-0.0025), clipped
// to [-0.07, 0.07]; position += velocity, clipped to [-1.2, 0.6]; hitting the left wall
// while moving left stops the car. The state is float64; the observation is the state
// rounded to float32.
//
// State (get_state/set_state): [position, velocity] as float64.
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class MountainCar : public Env {
 public:
  // `goal_velocity`: the velocity the car must have (at least) at the goal (Gymnasium's
  // `goal_velocity`, default 0). Throws cairn::Error if it is not finite.
  explicit MountainCar(double goal_velocity = 0.0);

  double goal_velocity() const { return goal_velocity_; }

  bool has_state() const override { return true; }
  // Returns [position, velocity]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Sets the state exactly. Throws cairn::Error unless `state` has 2 finite elements.
  void set_state(std::span<const double> state) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  double goal_velocity_;
  std::array<double, 2> state_{};
};

}  // namespace cairn
