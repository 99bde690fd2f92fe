// StatelessCartPole: CartPole-v1 with the velocities hidden, a test of policies with memory
// (as RLlib's examples/envs/classes/stateless_cartpole.py).
//
// The dynamics, rewards, termination, seeding and state are CartPole's (cartpole.h)
// exactly: a StatelessCartPole is a CartPole whose observation keeps only the elements 0
// and 2 of CartPole's. With the same seed and actions, its observations are CartPole-v1's
// with the cart velocity and the pole's angular velocity dropped, bit for bit.
//
//   Observation  Box(2) float32: cart position, pole angle; CartPole's bounds for them,
//                [-4.8, 4.8] and [-0.419, 0.419] rad.
//   Action       Discrete(2): 0 pushes left, 1 pushes right, as CartPole.
//   Reward       as CartPole: +1 every step (sutton_barto_reward: 0, and -1 at the end).
//   Terminated   as CartPole. "StatelessCartPole-v1" in the registry adds CartPole-v1's
//                TimeLimit of 500 steps (reward threshold 475).
//   Reset        as CartPole: reset(seed) draws CartPole-v1's initial state for the seed.
//
// A feed-forward policy sees a position and an angle but not where they are going: it has
// to infer the velocities from successive observations, which takes memory (a recurrent
// policy) or stacked frames.
//
// State (get_state/set_state): CartPole's, [x, x_dot, theta, theta_dot] as float64 (the
// hidden velocities included). Being a CartPole, it is rendered as CartPole.
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "cairn/envs/cartpole.h"

namespace cairn {

class StatelessCartPole : public CartPole {
 public:
  explicit StatelessCartPole(bool sutton_barto_reward = false,
                             Integrator integrator = Integrator::euler);

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;
};

}  // namespace cairn
