// MountainCarContinuous: Gymnasium 1.2.2's MountainCarContinuous-v0
// (gymnasium/envs/classic_control/continuous_mountain_car.py), reproduced bit for bit.
//
// The continuous-action mountain car: the car must reach the flag at position 0.45.
//
//   Observation  Box(2) float32: position in [-1.2, 0.6], velocity in [-0.07, 0.07].
//   Action       Box(1) float32 in [-1, 1]: the force. Out-of-bound (finite) actions are
//                accepted (clips_box_actions() is true): the force is clipped to [-1, 1]
//                for the dynamics, but, exactly as in Gymnasium, the reward's action
//                penalty uses the action as given.
//   Reward       -0.1 * action^2 every step, plus 100 on the step that reaches the goal.
//   Terminated   when position >= 0.45 and velocity >= goal_velocity (default 0).
//   Truncated    never by the environment itself; "MountainCarContinuous-v0" in the
//                registry adds a TimeLimit of 999 steps (reward threshold 90).
//   Reset        position uniform in [-0.6, -0.4) drawn from np_random() as Gymnasium
//                draws it; velocity 0.
//
// Dynamics: velocity += force * 0.0015 - 0.0025 * cos(3 * position), limited to
// [-0.07, 0.07]; position += velocity, limited to [-1.2, 0.6]; hitting the left wall while
// moving left stops the car. As in Gymnasium, the state is float64 after reset and is
// stored rounded to float32 after every step (the step arithmetic itself is float64).
//
// State (get_state/set_state): [position, velocity] as float64. set_state stores the
// values exactly (not rounded to float32), as assigning env.unwrapped.state does.
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class MountainCarContinuous : public Env {
 public:
  // `goal_velocity`: as Gymnasium's `goal_velocity` (default 0). Throws cairn::Error if
  // it is not finite.
  explicit MountainCarContinuous(double goal_velocity = 0.0);

  double goal_velocity() const { return goal_velocity_; }

  bool has_state() const override { return true; }
  // Returns [position, velocity]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Sets the state exactly. Throws cairn::Error unless `state` has 2 finite elements.
  void set_state(std::span<const double> state) override;
  bool clips_box_actions() const override { return true; }

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  double goal_velocity_;
  std::array<double, 2> state_{};
};

}  // namespace cairn
