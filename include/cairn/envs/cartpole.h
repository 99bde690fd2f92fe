// CartPole: Gymnasium 1.2.2's CartPole-v1 (gymnasium/envs/classic_control/cartpole.py),
// with the same float64 arithmetic operation by operation.
//
// A pole is hinged on a cart that moves along a frictionless track; each step pushes the
// cart with a fixed force to the left or right.
//
//   Observation  Box(4) float32: cart position, cart velocity, pole angle, pole angular
//                velocity. Bounds: [-4.8, 4.8], unbounded, [-0.419, 0.419] rad, unbounded.
//   Action       Discrete(2): 0 pushes left, 1 pushes right (force 10 N).
//   Reward       +1 for every step, including the terminating one. With
//                sutton_barto_reward: 0 for every step, -1 for the terminating one.
//   Terminated   when |position| > 2.4 or |angle| > 12 degrees (0.2094 rad).
//   Truncated    never by the environment itself; "CartPole-v1" in the registry adds a
//                TimeLimit of 500 steps (reward threshold 475).
//   Reset        each state element uniform in [-0.05, 0.05), drawn from np_random() in
//                the order x, x_dot, theta, theta_dot exactly as Gymnasium draws them, so
//                reset(seed) gives Gymnasium's initial state for the same seed.
//
// Dynamics: explicit Euler with tau = 0.02 s (Gymnasium's default kinematics_integrator
// "euler"); the semi-implicit variant is available from C++. The state is float64 and the
// observation is the state rounded to float32, as in Gymnasium.
//
// sin/cos: Gymnasium calls NumPy's float64 np.sin/np.cos, which on CPUs with AVX-512 run
// Intel SVML code (up to 4 ulp from the C library); cairn calls the C library's. cairn thus
// reproduces Gymnasium bit for bit where NumPy uses the same C library (no AVX-512, or
// NPY_DISABLE_CPU_FEATURES set), and differs from an AVX-512 Gymnasium in the last bits of
// the float64 state (which the unstable pole amplifies over hundreds of steps).
//
// State (get_state/set_state): [x, x_dot, theta, theta_dot] as float64, Gymnasium's
// env.unwrapped.state.
//
// Thread safety: as Env (one instance per thread). step() and the span overload of reset()
// do not allocate.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class CartPole : public Env {
 public:
  enum class Integrator {
    euler,                // Gymnasium's default: positions advance with the old velocities
    semi_implicit_euler,  // velocities first, positions with the new velocities
  };

  explicit CartPole(bool sutton_barto_reward = false, Integrator integrator = Integrator::euler);

  bool has_state() const override { return true; }
  // Returns [x, x_dot, theta, theta_dot]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Sets the state exactly. Throws cairn::Error unless `state` has 4 finite elements.
  void set_state(std::span<const double> state) override;

 protected:
  // For environments built on CartPole's dynamics with another observation
  // (StatelessCartPole): `observation_space` replaces Box(4); such a subclass overrides
  // do_reset/do_step, calling CartPole's with a 4-element buffer.
  CartPole(Space observation_space, bool sutton_barto_reward, Integrator integrator);
  // The Box(4) observation space of CartPole-v1.
  static Space full_observation_space();

  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  bool sutton_barto_reward_;
  Integrator integrator_;
  std::array<double, 4> state_{};
};

}  // namespace cairn
