#include "cairn/envs/mountain_car_continuous.h"

#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/numpy_math.h"

namespace cairn {
namespace {

using envs_detail::py_max;
using envs_detail::py_min;

constexpr double kMinAction = -1.0;
constexpr double kMaxAction = 1.0;
constexpr double kMinPosition = -1.2;
constexpr double kMaxPosition = 0.6;
constexpr double kMaxSpeed = 0.07;
constexpr double kGoalPosition = 0.45;
constexpr double kPower = 0.0015;

double checked_goal_velocity(double v) {
  if (!std::isfinite(v)) {
    throw Error("MountainCarContinuous: goal_velocity must be finite, got " + std::to_string(v));
  }
  return v;
}

}  // namespace

MountainCarContinuous::MountainCarContinuous(double goal_velocity)
    : Env(Space::box({static_cast<float>(kMinPosition), static_cast<float>(-kMaxSpeed)},
                     {static_cast<float>(kMaxPosition), static_cast<float>(kMaxSpeed)}, {2}),
          Space::box(static_cast<float>(kMinAction), static_cast<float>(kMaxAction), {1})),
      goal_velocity_(checked_goal_velocity(goal_velocity)) {}

std::vector<double> MountainCarContinuous::get_state() const {
  return {state_.begin(), state_.end()};
}

void MountainCarContinuous::set_state(std::span<const double> state) {
  check_state(state, 2);
  state_ = {state[0], state[1]};
}

void MountainCarContinuous::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  // np.array([self.np_random.uniform(low=-0.6, high=-0.4), 0])
  state_ = {np_random().uniform(-0.6, -0.4), 0.0};
  obs[0] = static_cast<float>(state_[0]);
  obs[1] = static_cast<float>(state_[1]);
}

StepResult MountainCarContinuous::do_step(ActionRef action, std::span<float> obs) {
  double position = state_[0], velocity = state_[1];
  // The float32 action meets Python floats; NumPy 1.24 computes every mixed scalar
  // operation below in float64.
  const double a = action.continuous[0];
  const double force = py_min(py_max(a, kMinAction), kMaxAction);

  velocity += force * kPower - 0.0025 * std::cos(3 * position);
  if (velocity > kMaxSpeed) velocity = kMaxSpeed;
  if (velocity < -kMaxSpeed) velocity = -kMaxSpeed;
  position += velocity;
  if (position > kMaxPosition) position = kMaxPosition;
  if (position < kMinPosition) position = kMinPosition;
  if (position == kMinPosition && velocity < 0) velocity = 0;

  const bool terminated = position >= kGoalPosition && velocity >= goal_velocity_;
  double reward = terminated ? 100.0 : 0.0;
  reward -= (a * a) * 0.1;  // math.pow(action[0], 2): exact for a float32 action

  // self.state = np.array([position, velocity], dtype=np.float32)
  const float p32 = static_cast<float>(position);
  const float v32 = static_cast<float>(velocity);
  state_ = {p32, v32};
  obs[0] = p32;
  obs[1] = v32;
  return {reward, terminated, false};
}

}  // namespace cairn
