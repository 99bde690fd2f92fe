#include "cairn/envs/cartpole.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

namespace cairn {
namespace {

// Gymnasium's constants, combined in the order cartpole.py combines them.
constexpr double kGravity = 9.8;
constexpr double kMassCart = 1.0;
constexpr double kMassPole = 0.1;
constexpr double kTotalMass = kMassPole + kMassCart;
constexpr double kLength = 0.5;  // half the pole's length
constexpr double kPoleMassLength = kMassPole * kLength;
constexpr double kForceMag = 10.0;
constexpr double kTau = 0.02;
constexpr double kThetaThresholdRadians = 12 * 2 * std::numbers::pi / 360;
constexpr double kXThreshold = 2.4;

}  // namespace

Space CartPole::full_observation_space() {
  const float inf = std::numeric_limits<float>::infinity();
  const float x = static_cast<float>(kXThreshold * 2);
  const float theta = static_cast<float>(kThetaThresholdRadians * 2);
  return Space::box({-x, -inf, -theta, -inf}, {x, inf, theta, inf}, {4});
}

CartPole::CartPole(bool sutton_barto_reward, Integrator integrator)
    : CartPole(full_observation_space(), sutton_barto_reward, integrator) {}

CartPole::CartPole(Space observation_space, bool sutton_barto_reward, Integrator integrator)
    : Env(std::move(observation_space), Space::discrete(2)),
      sutton_barto_reward_(sutton_barto_reward),
      integrator_(integrator) {}

std::vector<double> CartPole::get_state() const {
  return {state_.begin(), state_.end()};
}

void CartPole::set_state(std::span<const double> state) {
  check_state(state, 4);
  for (size_t i = 0; i < 4; ++i) state_[i] = state[i];
}

void CartPole::write_observation(std::span<float> obs) const {
  for (size_t i = 0; i < 4; ++i) obs[i] = static_cast<float>(state_[i]);
}

void CartPole::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  // self.np_random.uniform(low=-0.05, high=0.05, size=(4,))
  for (double& v : state_) v = np_random().uniform(-0.05, 0.05);
  write_observation(obs);
}

StepResult CartPole::do_step(ActionRef action, std::span<float> obs) {
  double x = state_[0], x_dot = state_[1], theta = state_[2], theta_dot = state_[3];
  const double force = action.discrete[0] == 1 ? kForceMag : -kForceMag;
  const double costheta = std::cos(theta);
  const double sintheta = std::sin(theta);

  // np.square(v) is v * v.
  const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sintheta) / kTotalMass;
  const double thetaacc = (kGravity * sintheta - costheta * temp) /
                          (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;

  if (integrator_ == Integrator::euler) {
    x = x + kTau * x_dot;
    x_dot = x_dot + kTau * xacc;
    theta = theta + kTau * theta_dot;
    theta_dot = theta_dot + kTau * thetaacc;
  } else {
    x_dot = x_dot + kTau * xacc;
    x = x + kTau * x_dot;
    theta_dot = theta_dot + kTau * thetaacc;
    theta = theta + kTau * theta_dot;
  }
  state_ = {x, x_dot, theta, theta_dot};

  const bool terminated = x < -kXThreshold || x > kXThreshold || theta < -kThetaThresholdRadians ||
                          theta > kThetaThresholdRadians;
  // Gymnasium rewards steps after termination differently, but Env refuses to step a
  // terminated episode, so only these two cases can occur.
  double reward;
  if (!terminated) {
    reward = sutton_barto_reward_ ? 0.0 : 1.0;
  } else {
    reward = sutton_barto_reward_ ? -1.0 : 1.0;
  }
  write_observation(obs);
  return {reward, terminated, false};
}

}  // namespace cairn
