#include "cairn/envs/pendulum.h"

#include <cmath>
#include <numbers>
#include <string>

#include "cairn/error.h"
#include "env/numpy_math.h"

namespace cairn {
namespace {

using envs_detail::np_clip;
using envs_detail::py_mod;
using envs_detail::py_square;

constexpr double kMaxSpeed = 8;
constexpr float kMaxTorque = 2.0f;
constexpr double kDt = 0.05;
constexpr double kM = 1.0;
constexpr double kL = 1.0;
constexpr double kPi = std::numbers::pi;

// ((x + pi) % (2 * pi)) - pi
double angle_normalize(double x) {
  return py_mod(x + kPi, 2 * kPi) - kPi;
}

double checked_g(double g) {
  if (!std::isfinite(g)) throw Error("Pendulum: g must be finite, got " + std::to_string(g));
  return g;
}

}  // namespace

Pendulum::Pendulum(double g)
    : Env(Space::box({-1.0f, -1.0f, -static_cast<float>(kMaxSpeed)},
                     {1.0f, 1.0f, static_cast<float>(kMaxSpeed)}, {3}),
          Space::box(-kMaxTorque, kMaxTorque, {1})),
      g_(checked_g(g)),
      gravity_term_(3 * g_ / (2 * kL)),
      torque_term_(3.0 / (kM * py_square(kL))) {}

std::vector<double> Pendulum::get_state() const {
  return {state_.begin(), state_.end()};
}

void Pendulum::set_state(std::span<const double> state) {
  check_state(state, 2);
  state_ = {state[0], state[1]};
}

void Pendulum::write_observation(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(state_[0]));
  obs[1] = static_cast<float>(std::sin(state_[0]));
  obs[2] = static_cast<float>(state_[1]);
}

void Pendulum::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  // high = [pi, 1.0]; self.np_random.uniform(low=-high, high=high)
  state_[0] = np_random().uniform(-kPi, kPi);
  state_[1] = np_random().uniform(-1.0, 1.0);
  write_observation(obs);
}

StepResult Pendulum::do_step(ActionRef action, std::span<float> obs) {
  const double th = state_[0], thdot = state_[1];
  // np.clip on the float32 action array keeps float32; the scalar arithmetic below promotes
  // the float32 torque to float64 (NumPy 1.24 scalar promotion).
  const double u = np_clip(action.continuous[0], -kMaxTorque, kMaxTorque);
  const double costs =
      py_square(angle_normalize(th)) + 0.1 * py_square(thdot) + 0.001 * py_square(u);

  double newthdot = thdot + (gravity_term_ * std::sin(th) + torque_term_ * u) * kDt;
  newthdot = np_clip(newthdot, -kMaxSpeed, kMaxSpeed);
  const double newth = th + newthdot * kDt;
  state_ = {newth, newthdot};

  write_observation(obs);
  return {-costs, false, false};
}

}  // namespace cairn
