// Pendulum: Gymnasium 1.2.2's Pendulum-v1 (gymnasium/envs/classic_control/pendulum.py),
// with the same float64 arithmetic operation by operation.
//
// A pendulum hangs from a fixed pivot; a torque at the pivot swings it up and holds it
// upright (theta = 0 is upright).
//
//   Observation  Box(3) float32: cos(theta), sin(theta), angular velocity;
//                bounds [-1, 1], [-1, 1], [-8, 8].
//   Action       Box(1) float32 in [-2, 2]: the torque. Out-of-bound (finite) actions
//                are clipped to [-2, 2] as Gymnasium does (clips_box_actions() is true).
//   Reward       -(angle_normalize(theta)^2 + 0.1 * theta_dot^2 + 0.001 * torque^2),
//                computed from the state before the step and the clipped torque.
//   Terminated   never. "Pendulum-v1" in the registry adds a TimeLimit of 200 steps (no
//                reward threshold).
//   Reset        theta uniform in [-pi, pi), then theta_dot uniform in [-1, 1), drawn from
//                np_random() as Gymnasium draws them.
//
// Dynamics (dt = 0.05, m = l = 1): theta_dot += (3g/2 sin(theta) + 3 u) dt, clipped to
// [-8, 8]; theta += theta_dot dt. theta itself is not wrapped.
//
// sin/cos: Gymnasium calls NumPy's float64 np.sin/np.cos, which on CPUs with AVX-512 run
// Intel SVML code (up to 4 ulp from the C library); cairn calls the C library's. cairn thus
// reproduces Gymnasium bit for bit where NumPy uses the same C library (no AVX-512, or
// NPY_DISABLE_CPU_FEATURES set), and differs from an AVX-512 Gymnasium in the last bits of
// the float64 state.
//
// State (get_state/set_state): [theta, theta_dot] as float64.
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class Pendulum : public Env {
 public:
  // `g`: gravitational acceleration (Gymnasium's `g`, default 10.0). Throws cairn::Error
  // if g is not finite.
  explicit Pendulum(double g = 10.0);

  double g() const { return g_; }

  bool has_state() const override { return true; }
  // Returns [theta, theta_dot]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Sets the state exactly. Throws cairn::Error unless `state` has 2 finite elements.
  void set_state(std::span<const double> state) override;
  bool clips_box_actions() const override { return true; }

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  double g_;
  double gravity_term_;  // 3 * g / (2 * l)
  double torque_term_;   // 3.0 / (m * l**2)
  std::array<double, 2> state_{};
};

}  // namespace cairn
