#include "cairn/env/mujoco/humanoid.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "env/mujoco/numpy_sum.h"
#include "env/mujoco/task_options.h"

namespace cairn {
namespace {

using mujoco_detail::numpy_sum;
using mujoco_detail::numpy_sum_of_squares;

MjModelPtr checked_humanoid(MjModelPtr model) {
  if (model && (model->nq < 7 || model->nv < 6)) {
    throw Error(
        "Humanoid: the model must start with a free joint (at least 7 qpos and 6 qvel), "
        "has " +
        std::to_string(model->nq) + " qpos and " + std::to_string(model->nv) + " qvel");
  }
  return model;
}

// Gymnasium: nq + nv - 2 * exclude + (nbody - 1) * (10 cinert + 6 cvel + 6 cfrc_ext, each if
// included) + (nv - 6) actuator forces if included.
size_t observation_size_of(const mjModel* m, const Humanoid::Options& o) {
  if (m == nullptr || m->nq < 7 || m->nv < 6) return 0;  // reported by the constructors
  const size_t bodies = static_cast<size_t>(m->nbody - 1);
  return static_cast<size_t>(m->nq + m->nv) -
         (o.exclude_current_positions_from_observation ? 2 : 0) +
         (o.include_cinert_in_observation ? 10 * bodies : 0) +
         (o.include_cvel_in_observation ? 6 * bodies : 0) +
         (o.include_qfrc_actuator_in_observation ? static_cast<size_t>(m->nv - 6) : 0) +
         (o.include_cfrc_ext_in_observation ? 6 * bodies : 0);
}

const Humanoid::Options& checked_options(const Humanoid::Options& o) {
  mujoco_detail::check_finite_options("Humanoid",
                                      {{"forward_reward_weight", o.forward_reward_weight},
                                       {"ctrl_cost_weight", o.ctrl_cost_weight},
                                       {"contact_cost_weight", o.contact_cost_weight},
                                       {"healthy_reward", o.healthy_reward},
                                       {"reset_noise_scale", o.reset_noise_scale}});
  mujoco_detail::check_range_option("Humanoid", "healthy_z_range", o.healthy_z_range);
  mujoco_detail::check_range_option("Humanoid", "contact_cost_range", o.contact_cost_range);
  return o;
}

// The info terms: positions, one tendon_length[i] and tendon_velocity[i] per tendon, then
// the step's terms.
std::vector<std::string> info_names(const mjModel* m) {
  std::vector<std::string> names = {"x_position", "y_position"};
  const int tendons = m ? m->ntendon : 0;
  for (int i = 0; i < tendons; ++i) names.push_back("tendon_length[" + std::to_string(i) + "]");
  for (int i = 0; i < tendons; ++i) names.push_back("tendon_velocity[" + std::to_string(i) + "]");
  for (const char* n : {"distance_from_origin", "x_velocity", "y_velocity", "reward_survive",
                        "reward_forward", "reward_ctrl", "reward_contact"}) {
    names.push_back(n);
  }
  return names;
}

}  // namespace

Humanoid::Humanoid(const Options& options)
    : Humanoid(load_mjcf_text(builtin_mjcf("humanoid.xml"), "humanoid.xml"), options) {}

Humanoid::Humanoid(MjModelPtr model, const Options& options)
    : Humanoid(std::move(model), options, observation_size_of(model.get(), options),
               info_names(model.get())) {}

Humanoid::Humanoid(MjModelPtr&& model, const Options& options, size_t observation_size,
                   std::vector<std::string> info_names)
    : MujocoEnv(checked_humanoid(std::move(model)), options.frame_skip, observation_size,
                std::move(info_names)),
      options_(checked_options(options)),
      qpos_(this->model().nq),
      qvel_(this->model().nv),
      first_step_term_(2 + 2 * static_cast<size_t>(this->model().ntendon) + 1) {}

bool Humanoid::is_healthy() const {
  const double z = data().qpos[2];
  return options_.healthy_z_range.first < z && z < options_.healthy_z_range.second;
}

std::array<double, 2> Humanoid::mass_center() const {
  // Gymnasium: (np.sum(body_mass[:, None] * xipos, axis=0) / np.sum(body_mass))[0:2]. NumPy
  // sums a column of the (nbody, 3) product body by body, in order; the masses' sum is a
  // pairwise sum of a contiguous array.
  const mjModel& m = model();
  const mjData& d = data();
  double x = 0.0, y = 0.0;
  for (int b = 0; b < m.nbody; ++b) {
    x += m.body_mass[b] * d.xipos[3 * b];
    y += m.body_mass[b] * d.xipos[3 * b + 1];
  }
  const double mass = numpy_sum<double>(std::span<const double>(m.body_mass, m.nbody));
  return {x / mass, y / mass};
}

void Humanoid::write_observation(std::span<float> obs) const {
  // Gymnasium: concatenate((qpos[2:] or qpos, qvel, cinert[1:], cvel[1:], qfrc_actuator[6:],
  // cfrc_ext[1:])) as float64; cairn rounds to float32.
  const mjModel& m = model();
  const mjData& d = data();
  size_t k = 0;
  auto append = [&](const double* values, size_t n) {
    for (size_t i = 0; i < n; ++i) obs[k++] = static_cast<float>(values[i]);
  };
  const int first = options_.exclude_current_positions_from_observation ? 2 : 0;
  append(d.qpos + first, static_cast<size_t>(m.nq - first));
  append(d.qvel, static_cast<size_t>(m.nv));
  const size_t bodies = static_cast<size_t>(m.nbody - 1);
  if (options_.include_cinert_in_observation) append(d.cinert + 10, 10 * bodies);
  if (options_.include_cvel_in_observation) append(d.cvel + 6, 6 * bodies);
  if (options_.include_qfrc_actuator_in_observation) {
    append(d.qfrc_actuator + 6, static_cast<size_t>(m.nv - 6));
  }
  if (options_.include_cfrc_ext_in_observation) append(d.cfrc_ext + 6, 6 * bodies);
}

void Humanoid::set_state_info() {
  // Gymnasium's x_position, y_position, tendon_length, tendon_velocity and
  // np.linalg.norm(qpos[0:2]) = sqrt(x*x + y*y).
  const mjData& d = data();
  const size_t tendons = static_cast<size_t>(model().ntendon);
  StepInfo& info = mutable_info();
  info.set(0, d.qpos[0]);
  info.set(1, d.qpos[1]);
  for (size_t i = 0; i < tendons; ++i) {
    info.set(2 + i, d.ten_length[i]);
    info.set(2 + tendons + i, d.ten_velocity[i]);
  }
  info.set(2 + 2 * tendons, std::sqrt(d.qpos[0] * d.qpos[0] + d.qpos[1] * d.qpos[1]));
}

void Humanoid::reset_model(std::span<float> obs) {
  // qpos's uniform noise, then qvel's, as Gymnasium draws them.
  const double s = options_.reset_noise_scale;
  uniform_noise(init_qpos(), -s, s, qpos_);
  uniform_noise(init_qvel(), -s, s, qvel_);
  set_qpos_qvel(qpos_, qvel_);
  set_state_info();  // Gymnasium's _get_reset_info
  write_observation(obs);
}

StepResult Humanoid::step_model(std::span<const float> action, std::span<float> obs) {
  const std::array<double, 2> before = mass_center();
  do_simulation(action, frame_skip());
  const std::array<double, 2> after = mass_center();
  const double x_velocity = (after[0] - before[0]) / dt();
  const double y_velocity = (after[1] - before[1]) / dt();
  write_observation(obs);

  // forward_reward = w_forward * dx/dt of the centre of mass; healthy_reward = w_healthy if
  // healthy; ctrl_cost = w_ctrl * np.sum(np.square(data.ctrl)) (float64: Gymnasium reads
  // the controls MuJoCo holds, not the float32 action); contact_cost =
  // np.clip(w_contact * np.sum(np.square(cfrc_ext)), low, high) over all nbody * 6 values.
  const mjModel& m = model();
  const mjData& d = data();
  const bool healthy = is_healthy();
  const double forward_reward = options_.forward_reward_weight * x_velocity;
  const double healthy_reward = healthy ? options_.healthy_reward : 0.0;
  const double ctrl_cost = options_.ctrl_cost_weight *
                           numpy_sum_of_squares<double>(std::span<const double>(d.ctrl, m.nu));
  const double contact_cost = std::min(
      std::max(options_.contact_cost_weight *
                   numpy_sum_of_squares<double>(std::span<const double>(d.cfrc_ext, 6 * m.nbody)),
               options_.contact_cost_range.first),
      options_.contact_cost_range.second);

  StepResult r;
  r.reward = (forward_reward + healthy_reward) - (ctrl_cost + contact_cost);
  r.terminated = !healthy && options_.terminate_when_unhealthy;
  set_state_info();
  StepInfo& info = mutable_info();
  size_t k = first_step_term_;
  info.set(k++, x_velocity);
  info.set(k++, y_velocity);
  info.set(k++, healthy_reward);
  info.set(k++, forward_reward);
  info.set(k++, -ctrl_cost);
  info.set(k++, -contact_cost);
  return r;
}

}  // namespace cairn
