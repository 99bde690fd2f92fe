#include "cairn/env/mujoco/mujoco_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "cairn/error.h"
#include "env/mujoco/builtin_models.h"

namespace cairn {
namespace {

MjModelPtr checked_model(mjModel* m, const char* error, const std::string& name) {
  if (m == nullptr) throw Error("MuJoCo cannot compile the model " + name + ": " + error);
  return MjModelPtr(m);
}

Space action_space_of(const mjModel* m) {
  if (m == nullptr) throw Error("MujocoEnv: no model");
  if (m->nu < 1) throw Error("MujocoEnv: the model has no actuator (nu = 0)");
  std::vector<float> low(m->nu), high(m->nu);
  for (int i = 0; i < m->nu; ++i) {
    if (!m->actuator_ctrllimited[i]) {
      throw Error("MujocoEnv: actuator " + std::to_string(i) +
                  " has no ctrlrange; the action space is the actuators' ctrlrange");
    }
    // Gymnasium: actuator_ctrlrange.astype(np.float32).
    low[i] = static_cast<float>(m->actuator_ctrlrange[2 * i]);
    high[i] = static_cast<float>(m->actuator_ctrlrange[2 * i + 1]);
  }
  return Space::box(std::move(low), std::move(high), {m->nu});
}

int checked_frame_skip(int frame_skip) {
  if (frame_skip < 1) {
    throw Error("MujocoEnv: frame_skip must be at least 1, got " + std::to_string(frame_skip));
  }
  return frame_skip;
}

}  // namespace

MjModelPtr load_mjcf_file(const std::string& path) {
  char error[1000] = "";
  return checked_model(mj_loadXML(path.c_str(), nullptr, error, sizeof error), error, path);
}

MjModelPtr load_mjcf_text(std::string_view xml, const std::string& name) {
  if (name.size() < 5 || name.substr(name.size() - 4) != ".xml" || name.size() >= mjMAXVFSNAME) {
    throw Error("load_mjcf_text: the model name '" + name +
                "' must end in .xml and be shorter "
                "than " +
                std::to_string(mjMAXVFSNAME) + " characters");
  }
  // mjVFS holds fixed arrays of names (about 2 MB): on the heap, not the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  struct Clear {
    mjVFS* v;
    ~Clear() { mj_deleteVFS(v); }
  } clear{vfs.get()};
  if (mj_makeEmptyFileVFS(vfs.get(), name.c_str(), static_cast<int>(xml.size())) != 0) {
    throw Error("load_mjcf_text: MuJoCo's virtual file system refused " + name);
  }
  const int index = mj_findFileVFS(vfs.get(), name.c_str());
  std::memcpy(vfs->filedata[index], xml.data(), xml.size());
  char error[1000] = "";
  return checked_model(mj_loadXML(name.c_str(), vfs.get(), error, sizeof error), error, name);
}

std::string_view builtin_mjcf(const std::string& name) {
  for (const mujoco_detail::BuiltinModel& m : mujoco_detail::builtin_models()) {
    if (name == m.name) return m.xml;
  }
  std::string known;
  for (const std::string& n : builtin_mjcf_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown built-in MuJoCo model '" + name + "'; known: " + known);
}

std::vector<std::string> builtin_mjcf_names() {
  std::vector<std::string> names;
  for (const mujoco_detail::BuiltinModel& m : mujoco_detail::builtin_models()) {
    names.emplace_back(m.name);
  }
  return names;
}

StepInfo::StepInfo(std::vector<std::string> names)
    : names_(std::move(names)), values_(names_.size(), 0.0) {}

double StepInfo::at(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return values_[i];
  }
  std::string known;
  for (const std::string& n : names_) known += (known.empty() ? "" : ", ") + n;
  throw Error("no info term '" + std::string(name) + "'; this environment reports: " + known);
}

void StepInfo::clear() {
  std::fill(values_.begin(), values_.end(), 0.0);
}

MujocoEnv::MujocoEnv(MjModelPtr model, int frame_skip, size_t observation_size,
                     std::vector<std::string> info_names)
    : Env(Space::box(-std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::infinity(),
                     {static_cast<int64_t>(observation_size)}),
          action_space_of(model.get())),
      model_(std::move(model)),
      frame_skip_(checked_frame_skip(frame_skip)),
      info_(std::move(info_names)) {
  data_.reset(mj_makeData(model_.get()));
  if (!data_) throw Error("MujocoEnv: MuJoCo could not allocate mjData");
  init_qpos_.assign(data_->qpos, data_->qpos + model_->nq);
  init_qvel_.assign(data_->qvel, data_->qvel + model_->nv);
  qpos_before_ = init_qpos_;
  last_input_.resize(simulation_state_size() - 1);
  qpos_set_.resize(static_cast<size_t>(model_->nq));
  capture_input(PhysicsCall::kNone);
}

MujocoEnv::~MujocoEnv() = default;

void MujocoEnv::set_qpos_qvel(std::span<const double> qpos, std::span<const double> qvel) {
  if (qpos.size() != static_cast<size_t>(model_->nq) ||
      qvel.size() != static_cast<size_t>(model_->nv)) {
    throw Error("MujocoEnv::set_qpos_qvel: expected " + std::to_string(model_->nq) + " qpos and " +
                std::to_string(model_->nv) + " qvel values, got " + std::to_string(qpos.size()) +
                " and " + std::to_string(qvel.size()));
  }
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  capture_input(PhysicsCall::kForward);
  forward_keeping_qpos();
}

void MujocoEnv::forward_keeping_qpos() {
  // MuJoCo 2.2's mj_forward normalizes free and ball joints' quaternions inside qpos; 2.3 and
  // later (which Gymnasium v5 requires) leave qpos as set. The kinematics are computed from
  // the normalized quaternion either way, so putting qpos back gives Gymnasium's state.
  std::copy_n(data_->qpos, model_->nq, qpos_set_.begin());
  mj_forward(model_.get(), data_.get());
  std::copy(qpos_set_.begin(), qpos_set_.end(), data_->qpos);
}

void MujocoEnv::do_simulation(std::span<const float> ctrl, int n) {
  if (ctrl.size() != static_cast<size_t>(model_->nu)) {
    throw Error("MujocoEnv::do_simulation: expected " + std::to_string(model_->nu) +
                " controls, got " + std::to_string(ctrl.size()));
  }
  std::copy(ctrl.begin(), ctrl.end(), data_->ctrl);  // float32 -> float64, exact
  for (int i = 0; i < n; ++i) {
    if (i == n - 1) capture_input(PhysicsCall::kStep);  // the last step is what set_state redoes
    mj_step(model_.get(), data_.get());
  }
  if (computes_body_forces_) mj_rnePostConstraint(model_.get(), data_.get());
}

namespace {

// The parts of mjData that mj_step and mj_forward read besides the model, in get_state()'s
// order: one home for the layout, used by capture_input, set_state and
// simulation_state_size.
template <typename Data, typename Visit>
void visit_physics_input(const mjModel& m, Data& d, Visit&& visit) {
  visit(d.qpos, m.nq);
  visit(d.qvel, m.nv);
  visit(d.act, m.na);
  visit(d.qacc_warmstart, m.nv);
  visit(&d.time, 1);
  visit(d.ctrl, m.nu);
  visit(d.qfrc_applied, m.nv);
  visit(d.xfrc_applied, 6 * m.nbody);
  visit(d.mocap_pos, 3 * m.nmocap);
  visit(d.mocap_quat, 4 * m.nmocap);
  visit(d.userdata, m.nuserdata);
}

}  // namespace

void MujocoEnv::capture_input(PhysicsCall call) {
  last_call_ = call;
  size_t at = 0;
  visit_physics_input(*model_, std::as_const(*data_), [&](const double* p, int count) {
    std::copy_n(p, count, last_input_.begin() + static_cast<std::ptrdiff_t>(at));
    at += static_cast<size_t>(count);
  });
}

size_t MujocoEnv::simulation_state_size() const {
  size_t n = 1;
  visit_physics_input(*model_, std::as_const(*data_),
                      [&](const double*, int count) { n += static_cast<size_t>(count); });
  return n;
}

std::vector<double> MujocoEnv::state_vector() const {
  std::vector<double> v(data_->qpos, data_->qpos + model_->nq);
  v.insert(v.end(), data_->qvel, data_->qvel + model_->nv);
  return v;
}

std::vector<double> MujocoEnv::get_state() const {
  std::vector<double> state;
  state.reserve(1 + last_input_.size());
  state.push_back(static_cast<double>(last_call_));
  state.insert(state.end(), last_input_.begin(), last_input_.end());
  return state;
}

void MujocoEnv::set_state(std::span<const double> state) {
  const size_t gymnasium = static_cast<size_t>(model_->nq + model_->nv);
  const size_t complete = simulation_state_size();
  if (state.size() == gymnasium) {
    check_state(state, gymnasium);
    set_qpos_qvel(state.first(model_->nq), state.subspan(model_->nq));
    return;
  }
  if (state.size() != complete) {
    throw Error("MujocoEnv::set_state: expected " + std::to_string(complete) +
                " values (the complete simulation state of get_state()) or " +
                std::to_string(gymnasium) + " (qpos and qvel), got " +
                std::to_string(state.size()));
  }
  check_state(state, complete);
  const double kind = state[0];
  if (kind != 0.0 && kind != 1.0 && kind != 2.0) {
    throw Error(
        "MujocoEnv::set_state: the first value (the last physics call) must be 0, 1 or "
        "2, got " +
        std::to_string(kind));
  }
  const auto call = static_cast<PhysicsCall>(static_cast<int>(kind));
  if (call == PhysicsCall::kNone) mj_resetData(model_.get(), data_.get());
  size_t at = 1;
  visit_physics_input(*model_, *data_, [&](double* p, int count) {
    std::copy_n(state.begin() + static_cast<std::ptrdiff_t>(at), count, p);
    at += static_cast<size_t>(count);
  });
  capture_input(call);
  if (call == PhysicsCall::kForward) forward_keeping_qpos();
  if (call == PhysicsCall::kStep) {
    mj_step(model_.get(), data_.get());
    if (computes_body_forces_) mj_rnePostConstraint(model_.get(), data_.get());
  }
}

void MujocoEnv::uniform_noise(std::span<const double> base, double low, double high,
                              std::span<double> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = base[i] + np_random().uniform(low, high);
}

void MujocoEnv::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  mj_resetData(model_.get(), data_.get());
  capture_input(PhysicsCall::kNone);
  info_.clear();
  reset_model(obs);
}

StepResult MujocoEnv::do_step(ActionRef action, std::span<float> obs) {
  std::copy(data_->qpos, data_->qpos + model_->nq, qpos_before_.begin());
  info_.clear();
  return step_model(action.continuous, obs);
}

UserMujocoEnv::UserMujocoEnv(MujocoTask task)
    : MujocoEnv(std::move(task.model), task.frame_skip, task.observation_size),
      task_(std::move(task)),
      qpos_(model().nq),
      qvel_(model().nv) {
  if (task_.observation_size == 0) throw Error("UserMujocoEnv: observation_size is 0");
  if (!task_.observation) throw Error("UserMujocoEnv: the task has no observation function");
  if (!task_.reward) throw Error("UserMujocoEnv: the task has no reward function");
}

void UserMujocoEnv::reset_model(std::span<float> obs) {
  if (task_.reset) {
    task_.reset(*this, np_random());
  } else {
    const double scale = task_.reset_noise_scale;
    uniform_noise(init_qpos(), -scale, scale, qpos_);
    uniform_noise(init_qvel(), -scale, scale, qvel_);
    set_qpos_qvel(qpos_, qvel_);
  }
  task_.observation(*this, obs);
}

StepResult UserMujocoEnv::step_model(std::span<const float> action, std::span<float> obs) {
  do_simulation(action, frame_skip());
  task_.observation(*this, obs);
  StepResult r;
  r.reward = task_.reward(*this, action);
  r.terminated = task_.terminated ? task_.terminated(*this) : false;
  return r;
}

}  // namespace cairn
