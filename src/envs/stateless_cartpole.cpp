#include "cairn/envs/stateless_cartpole.h"

#include <array>

namespace cairn {
namespace {

// CartPole's bounds for the position and the angle.
Space stateless_cartpole_observation_space(const Space& full) {
  return Space::box({full.low()[0], full.low()[2]}, {full.high()[0], full.high()[2]}, {2});
}

// The position and the angle of CartPole's observation.
void keep_position_and_angle(const std::array<float, 4>& full, std::span<float> obs) {
  obs[0] = full[0];
  obs[1] = full[2];
}

}  // namespace

StatelessCartPole::StatelessCartPole(bool sutton_barto_reward, Integrator integrator)
    : CartPole(stateless_cartpole_observation_space(full_observation_space()), sutton_barto_reward,
               integrator) {}

void StatelessCartPole::do_reset(std::optional<uint64_t> seed, std::span<float> obs) {
  std::array<float, 4> full{};
  CartPole::do_reset(seed, full);
  keep_position_and_angle(full, obs);
}

StepResult StatelessCartPole::do_step(ActionRef action, std::span<float> obs) {
  std::array<float, 4> full{};
  const StepResult r = CartPole::do_step(action, full);
  keep_position_and_angle(full, obs);
  return r;
}

}  // namespace cairn
