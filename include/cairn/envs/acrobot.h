// Acrobot: Gymnasium 1.2.2's Acrobot-v1 (gymnasium/envs/classic_control/acrobot.py), with
// the same float64 arithmetic operation by operation.
//
// Two links hang from a fixed pivot; a torque on the joint between them must swing the
// tip above a line one link length above the pivot.
//
//   Observation  Box(6) float32: cos(theta1), sin(theta1), cos(theta2), sin(theta2),
//                dtheta1 in [-4 pi, 4 pi], dtheta2 in [-9 pi, 9 pi].
//   Action       Discrete(3): torque -1, 0 or +1 on the joint between the links.
//   Reward       -1 for every step that does not reach the goal, 0 for the one that does.
//   Terminated   when -cos(theta1) - cos(theta2 + theta1) > 1.
//   Truncated    never by the environment itself; "Acrobot-v1" in the registry adds a
//                TimeLimit of 500 steps (reward threshold -100).
//   Reset        each state element uniform in [-0.1, 0.1) drawn from np_random() as
//                Gymnasium draws them, then rounded to float32 (Gymnasium's
//                .astype(np.float32)); the first observation is computed from those
//                float32 values in float32.
//
// Dynamics: the "book" equations of motion (Sutton & Barto), integrated over dt = 0.2 s by
// one classic Runge-Kutta-4 step with Gymnasium's stage arithmetic; the angles are then
// wrapped into [-pi, pi] and the velocities bounded. The state is float64 after a step.
//
// sin/cos: Gymnasium calls NumPy's float64 np.sin/np.cos, which on CPUs with AVX-512 run
// Intel SVML code (up to 4 ulp from the C library); cairn calls the C library's. cairn thus
// reproduces Gymnasium bit for bit where NumPy uses the same C library (no AVX-512, or
// NPY_DISABLE_CPU_FEATURES set); against an AVX-512 Gymnasium the float64 state differs in
// the last bits, which the chaotic dynamics can grow to about 1e-5 relative over hundreds
// of steps.
//
// State (get_state/set_state): [theta1, theta2, dtheta1, dtheta2] as float64.
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class Acrobot : public Env {
 public:
  Acrobot();

  bool has_state() const override { return true; }
  // Returns [theta1, theta2, dtheta1, dtheta2]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Sets the state exactly. Throws cairn::Error unless `state` has 4 finite elements.
  void set_state(std::span<const double> state) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  std::array<double, 4> state_{};
};

}  // namespace cairn
