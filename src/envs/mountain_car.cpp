#include "cairn/envs/mountain_car.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/numpy_math.h"

namespace cairn {
namespace {

using envs_detail::np_clip;

constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.5;
constexpr double kForce = 0.001;
constexpr double kGravity = 0.0025;

double checked_goal_velocity(double v) {
  if (!std::isfinite(v)) {
    throw Error("MountainCar: goal_velocity must be finite, got " + std::to_string(v));
  }
  return v;
}

}  // namespace

MountainCar::MountainCar(double goal_velocity)
    : Env(Space::box({static_cast<float>(kMinPosition), static_cast<float>(-kMaxSpeed)},
                     {static_cast<float>(kMaxPosition), static_cast<float>(kMaxSpeed)}, {2}),
          Space::discrete(3)),
      goal_velocity_(checked_goal_velocity(goal_velocity)) {}

std::vector<double> MountainCar::get_state() const {
  return {state_.begin(), state_.end()};
}

void MountainCar::set_state(std::span<const double> state) {
  check_state(state, 2);
  state_ = {state[0], state[1]};
}

void MountainCar::write_observation(std::span<float> obs) const {
  obs[0] = static_cast<float>(state_[0]);
  obs[1] = static_cast<float>(state_[1]);
}

void MountainCar::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  // np.array([self.np_random.uniform(low=-0.6, high=-0.4), 0])
  state_ = {np_random().uniform(-0.6, -0.4), 0.0};
  write_observation(obs);
}

StepResult MountainCar::do_step(ActionRef action, std::span<float> obs) {
  double position = state_[0], velocity = state_[1];
  const double push = static_cast<double>(action.discrete[0] - 1);
  velocity += push * kForce + std::cos(3 * position) * (-kGravity);
  velocity = np_clip(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = np_clip(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;

  const bool terminated = position >= kGoalPosition && velocity >= goal_velocity_;
  state_ = {position, velocity};
  write_observation(obs);
  return {-1.0, terminated, false};
}

}  // namespace cairn
