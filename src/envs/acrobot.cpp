#include "cairn/envs/acrobot.h"

#include <cmath>
#include <numbers>

#include "env/numpy_math.h"

namespace cairn {
namespace {

using envs_detail::py_max;
using envs_detail::py_min;
using envs_detail::py_square;

constexpr double kPi = std::numbers::pi;
constexpr double kDt = 0.2;
constexpr double kLinkLength1 = 1.0;
constexpr double kLinkMass1 = 1.0;
constexpr double kLinkMass2 = 1.0;
constexpr double kLinkComPos1 = 0.5;
constexpr double kLinkComPos2 = 0.5;
constexpr double kLinkMoi = 1.0;
constexpr double kMaxVel1 = 4 * kPi;
constexpr double kMaxVel2 = 9 * kPi;
constexpr double kAvailTorque[3] = {-1.0, 0.0, +1};
constexpr double kG = 9.8;

// The parts of AcrobotEnv._dsdt that Python evaluates from constants alone, in Python's
// evaluation order (`x**2` on a Python float is the C library's pow, hence not constexpr).
struct DsdtConstants {
  double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1, lc1 = kLinkComPos1,
         lc2 = kLinkComPos2, I1 = kLinkMoi, I2 = kLinkMoi;
  double m1_lc1_sq = m1 * py_square(lc1);                     // m1 * lc1**2
  double l1_sq_plus_lc2_sq = py_square(l1) + py_square(lc2);  // l1**2 + lc2**2
  double two_l1_lc2 = 2 * l1 * lc2;                           // 2 * l1 * lc2
  double lc2_sq = py_square(lc2);                             // lc2**2
  double l1_lc2 = l1 * lc2;                                   // l1 * lc2
  double m2_lc2_g = m2 * lc2 * kG;                            // m2 * lc2 * g
  double neg_m2_l1_lc2 = -m2 * l1 * lc2;                      // -m2 * l1 * lc2
  double two_m2_l1_lc2 = 2 * m2 * l1 * lc2;                   // 2 * m2 * l1 * lc2
  double m1_lc1_m2_l1_g = (m1 * lc1 + m2 * l1) * kG;          // (m1 * lc1 + m2 * l1) * g
  double m2_l1_lc2 = m2 * l1 * lc2;                           // m2 * l1 * lc2
  double m2_lc2_sq_I2 = m2 * py_square(lc2) + I2;             // m2 * lc2**2 + I2
};

const DsdtConstants& constants() {
  static const DsdtConstants c;
  return c;
}

struct Derivative {
  double dtheta1, dtheta2, ddtheta1, ddtheta2;
};

// AcrobotEnv._dsdt with book_or_nips == "book". `a` is the torque (s_augmented[-1]).
Derivative dsdt(const DsdtConstants& c, const double (&s)[4], double a) {
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double cos_theta2 = std::cos(theta2);
  const double sin_theta2 = std::sin(theta2);
  const double d1 =
      c.m1_lc1_sq + c.m2 * (c.l1_sq_plus_lc2_sq + c.two_l1_lc2 * cos_theta2) + c.I1 + c.I2;
  const double d2 = c.m2 * (c.lc2_sq + c.l1_lc2 * cos_theta2) + c.I2;
  const double phi2 = c.m2_lc2_g * std::cos(theta1 + theta2 - kPi / 2.0);
  const double phi1 = c.neg_m2_l1_lc2 * py_square(dtheta2) * sin_theta2 -
                      c.two_m2_l1_lc2 * dtheta2 * dtheta1 * sin_theta2 +
                      c.m1_lc1_m2_l1_g * std::cos(theta1 - kPi / 2) + phi2;
  const double ddtheta2 =
      (a + d2 / d1 * phi1 - c.m2_l1_lc2 * py_square(dtheta1) * sin_theta2 - phi2) /
      (c.m2_lc2_sq_I2 - py_square(d2) / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2};
}

// wrap(x, m, M): shifts x by (M - m) until it lies in [m, M].
double wrap(double x, double m, double M) {
  const double diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

// bound(x, m, M) = min(max(x, m), M) with Python's builtins.
double bound(double x, double m, double M) {
  return py_min(py_max(x, m), M);
}

}  // namespace

Acrobot::Acrobot()
    : Env(Space::box(
              {-1.0f, -1.0f, -1.0f, -1.0f, -static_cast<float>(kMaxVel1),
               -static_cast<float>(kMaxVel2)},
              {1.0f, 1.0f, 1.0f, 1.0f, static_cast<float>(kMaxVel1), static_cast<float>(kMaxVel2)},
              {6}),
          Space::discrete(3)) {
  constants();  // computed once, outside the hot path
}

std::vector<double> Acrobot::get_state() const {
  return {state_.begin(), state_.end()};
}

void Acrobot::set_state(std::span<const double> state) {
  check_state(state, 4);
  for (size_t i = 0; i < 4; ++i) state_[i] = state[i];
}

void Acrobot::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  // self.np_random.uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32)
  float s[4];
  for (size_t i = 0; i < 4; ++i) {
    s[i] = static_cast<float>(np_random().uniform(-0.1, 0.1));
    state_[i] = s[i];
  }
  // _get_ob on a float32 state: NumPy computes cos/sin of a float32 in float32.
  obs[0] = std::cos(s[0]);
  obs[1] = std::sin(s[0]);
  obs[2] = std::cos(s[1]);
  obs[3] = std::sin(s[1]);
  obs[4] = s[2];
  obs[5] = s[3];
}

StepResult Acrobot::do_step(ActionRef action, std::span<float> obs) {
  const DsdtConstants& c = constants();
  const double torque = kAvailTorque[action.discrete[0]];

  // rk4(self._dsdt, np.append(s, torque), [0, self.dt]): one step of length dt. The
  // torque (the fifth element) has derivative 0, so it stays `torque` in every stage.
  const double dt = kDt - 0;
  const double dt2 = dt / 2.0;
  const double y0[4] = {state_[0], state_[1], state_[2], state_[3]};
  const Derivative k1 = dsdt(c, y0, torque);
  const double y1[4] = {y0[0] + dt2 * k1.dtheta1, y0[1] + dt2 * k1.dtheta2,
                        y0[2] + dt2 * k1.ddtheta1, y0[3] + dt2 * k1.ddtheta2};
  const Derivative k2 = dsdt(c, y1, torque);
  const double y2[4] = {y0[0] + dt2 * k2.dtheta1, y0[1] + dt2 * k2.dtheta2,
                        y0[2] + dt2 * k2.ddtheta1, y0[3] + dt2 * k2.ddtheta2};
  const Derivative k3 = dsdt(c, y2, torque);
  const double y3[4] = {y0[0] + dt * k3.dtheta1, y0[1] + dt * k3.dtheta2, y0[2] + dt * k3.ddtheta1,
                        y0[3] + dt * k3.ddtheta2};
  const Derivative k4 = dsdt(c, y3, torque);
  // y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
  const double h = dt / 6.0;
  double ns[4] = {
      y0[0] + h * (k1.dtheta1 + 2 * k2.dtheta1 + 2 * k3.dtheta1 + k4.dtheta1),
      y0[1] + h * (k1.dtheta2 + 2 * k2.dtheta2 + 2 * k3.dtheta2 + k4.dtheta2),
      y0[2] + h * (k1.ddtheta1 + 2 * k2.ddtheta1 + 2 * k3.ddtheta1 + k4.ddtheta1),
      y0[3] + h * (k1.ddtheta2 + 2 * k2.ddtheta2 + 2 * k3.ddtheta2 + k4.ddtheta2),
  };

  ns[0] = wrap(ns[0], -kPi, kPi);
  ns[1] = wrap(ns[1], -kPi, kPi);
  ns[2] = bound(ns[2], -kMaxVel1, kMaxVel1);
  ns[3] = bound(ns[3], -kMaxVel2, kMaxVel2);
  state_ = {ns[0], ns[1], ns[2], ns[3]};

  const double cos0 = std::cos(ns[0]);
  const bool terminated = -cos0 - std::cos(ns[1] + ns[0]) > 1.0;
  const double reward = terminated ? 0.0 : -1.0;

  obs[0] = static_cast<float>(cos0);
  obs[1] = static_cast<float>(std::sin(ns[0]));
  obs[2] = static_cast<float>(std::cos(ns[1]));
  obs[3] = static_cast<float>(std::sin(ns[1]));
  obs[4] = static_cast<float>(ns[2]);
  obs[5] = static_cast<float>(ns[3]);
  return {reward, terminated, false};
}

}  // namespace cairn
