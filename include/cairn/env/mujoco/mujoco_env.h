// MujocoEnv: the base of cairn's MuJoCo environments, with the semantics of Gymnasium's
// MujocoEnv (gymnasium/envs/mujoco/mujoco_env.py), and the way to build an environment
// from a user's own MJCF model (UserMujocoEnv below). See docs/mujoco.md.
//
// A MujocoEnv owns one compiled model (mjModel) and its simulation state (mjData). One
// environment step applies the action as the actuators' controls and advances the physics
// by `frame_skip` calls of mj_step, so the environment's time step is
// dt() = model timestep * frame_skip. Then mj_rnePostConstraint fills the body
// accelerations and contact forces (cacc, cfrc_int, cfrc_ext), as Gymnasium does after
// stepping, for observations that contain them; a task that reads none of them turns it off
// (set_computes_body_forces(false)): it changes nothing else and costs ~5% of a
// HalfCheetah step.
//
//   Action       Box(nu) float32 bounded by the actuators' ctrlrange. Out-of-range actions
//                are accepted (clips_box_actions() is true): MuJoCo clamps the controls of
//                ctrl-limited actuators itself, while the control cost of the built-in tasks
//                is computed from the action as given, as in Gymnasium.
//   Observation  Box float32 of the size the subclass declares. Gymnasium's MuJoCo
//                observations are float64; cairn rounds them to float32 (one rounding).
//   State        get_state(): the complete simulation state, from which a restored
//                environment continues bit for bit. Gymnasium's state_vector() (qpos,
//                qvel) is not enough for that: the constraint solver starts from the last
//                solution (qacc_warmstart), and Gymnasium's tasks read quantities that
//                mj_step computed before it integrated (e.g. Ant's torso xpos is one
//                mj_step behind qpos). So the state is the input of the last physics call
//                (mj_step, mj_forward, or none since mj_resetData) and which call it was;
//                set_state() writes that input and makes the same call again, and MuJoCo,
//                deterministic, recomputes every derived quantity to the same bits. Layout:
//                see simulation_state_size(). set_state() also takes Gymnasium's qpos +
//                qvel (nq + nv values), which it sets and follows with mj_forward.
//                Whoever changes mutable_data() directly, outside set_qpos_qvel and
//                do_simulation, is not captured until the next physics call.
//   Reset        mj_resetData (qpos0, zero velocities, zero controls and time), then the
//                subclass's reset_model() draws its noise from np_random().
//   Info         named float64 terms per step (Gymnasium's info dict, e.g. "x_position",
//                "reward_forward"): info() after reset() or step(); see StepInfo.
//
// Errors: MuJoCo's compiler and runtime errors are cairn::Error naming the model. MuJoCo
// prints its warnings (e.g. simulation instability) to stderr; cairn does not intercept
// them.
//
// Thread safety: as Env (one instance per thread); instances share nothing. step() does not
// allocate (beyond what MuJoCo's mj_step does: it uses the mjData arena, allocated once).
#pragma once

#include <mujoco/mujoco.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Compiles the MJCF file at `path` (which may include other files relative to it).
// Throws cairn::Error with MuJoCo's message, naming the file, if it cannot be compiled.
MjModelPtr load_mjcf_file(const std::string& path);

// Compiles MJCF text held in memory, through MuJoCo's virtual file system, so that nothing
// is read from disk. `name` names the model in errors (and is its virtual file name; it
// must end in ".xml"). Throws cairn::Error with MuJoCo's message.
MjModelPtr load_mjcf_text(std::string_view xml, const std::string& name);

// The MJCF text of one of cairn's built-in models (src/env/mujoco/models/), embedded in the
// library, by file name, e.g. "half_cheetah.xml"; builtin_mjcf_names() lists them. Throws
// cairn::Error for an unknown name, listing the known ones.
std::string_view builtin_mjcf(const std::string& name);
// The names builtin_mjcf() knows. Allocates.
std::vector<std::string> builtin_mjcf_names();

// Named float64 terms reported by a step (Gymnasium's info). The names are fixed when the
// environment is built; each reset() and step() overwrites the values (a term a reset does
// not report is 0 after it). Not allocating after construction.
class StepInfo {
 public:
  StepInfo() = default;
  explicit StepInfo(std::vector<std::string> names);

  const std::vector<std::string>& names() const { return names_; }
  // The value of the term `name`. Throws cairn::Error for an unknown name, listing the names.
  double at(std::string_view name) const;
  // Value by index into names().
  double value(size_t i) const { return values_[i]; }
  // Sets the term `i` (index into names()).
  void set(size_t i, double v) { values_[i] = v; }
  void clear();

 private:
  std::vector<std::string> names_;
  std::vector<double> values_;
};

class MujocoEnv : public Env {
 public:
  // Takes ownership of `model`. `observation_size` is the length of the observation;
  // `info_names` the step's info terms. Throws cairn::Error if model is null, frame_skip < 1,
  // the model has no actuator, or an actuator has no ctrlrange (Gymnasium's action space is
  // the actuators' ctrlrange).
  MujocoEnv(MjModelPtr model, int frame_skip, size_t observation_size,
            std::vector<std::string> info_names = {});
  ~MujocoEnv() override;

  const mjModel& model() const { return *model_; }
  const mjData& data() const { return *data_; }
  // Mutable access, for subclasses and tools that modify the simulation directly.
  mjData& mutable_data() { return *data_; }
  int frame_skip() const { return frame_skip_; }
  // The environment's time step: opt.timestep * frame_skip.
  double dt() const { return model_->opt.timestep * frame_skip_; }

  // qpos and qvel of the model's reference configuration (qpos0, zero velocities), from
  // which the resets add their noise (Gymnasium's init_qpos / init_qvel).
  std::span<const double> init_qpos() const { return init_qpos_; }
  std::span<const double> init_qvel() const { return init_qvel_; }
  // qpos as it was before the current step's simulation (for velocities by differences).
  std::span<const double> qpos_before() const { return qpos_before_; }

  // Sets qpos (nq values) and qvel (nv values) and runs mj_forward, as Gymnasium's
  // set_state(qpos, qvel); qpos stays as set (MuJoCo 2.2's mj_forward would normalize
  // quaternions in it, 2.3 and later do not). Throws cairn::Error on wrong lengths.
  void set_qpos_qvel(std::span<const double> qpos, std::span<const double> qvel);
  // Sets the controls to `ctrl` (nu values) and calls mj_step `n` times, then
  // mj_rnePostConstraint unless turned off (Gymnasium's do_simulation). Throws cairn::Error on
  // a wrong length.
  void do_simulation(std::span<const float> ctrl, int n);

  // The info terms of the last reset() or step().
  const StepInfo& info() const { return info_; }

  // qpos followed by qvel (nq + nv values), as Gymnasium's state_vector(); set_state()
  // accepts it. Allocates.
  std::vector<double> state_vector() const;

  bool has_state() const override { return true; }
  // The length of get_state(): 1 (the last physics call: 0 none since mj_resetData,
  // 1 mj_forward, 2 mj_step, then mj_rnePostConstraint if the task computes body forces),
  // then that call's input:
  // nq (qpos), nv (qvel), na (act), nv (qacc_warmstart), 1 (time), nu (ctrl), nv
  // (qfrc_applied), 6 nbody (xfrc_applied), 3 nmocap (mocap_pos), 4 nmocap (mocap_quat),
  // nuserdata (userdata).
  size_t simulation_state_size() const;
  // The complete simulation state (layout above). Allocates.
  std::vector<double> get_state() const override;
  // Restores a get_state() (simulation_state_size() values: writes the input and repeats
  // the call), or sets Gymnasium's qpos and qvel alone (nq + nv values) and runs
  // mj_forward. Throws cairn::Error on another length, an unknown call kind or a non-finite
  // value, naming both accepted lengths.
  void set_state(std::span<const double> state) override;
  bool clips_box_actions() const override { return true; }

 protected:
  // Sets the initial state (typically from init_qpos()/init_qvel() plus noise drawn from
  // np_random(), then set_qpos_qvel) and writes the first observation. Called by reset()
  // after mj_resetData.
  virtual void reset_model(std::span<float> obs) = 0;
  // One environment step: typically do_simulation(action, frame_skip()), then the
  // observation, reward, termination and info terms. qpos_before() holds qpos before it.
  virtual StepResult step_model(std::span<const float> action, std::span<float> obs) = 0;

  StepInfo& mutable_info() { return info_; }

  // Whether do_simulation ends with mj_rnePostConstraint (cacc, cfrc_int, cfrc_ext). On by
  // default, as in Gymnasium; tasks whose observation, reward and termination read none of
  // those arrays turn it off in their constructor.
  void set_computes_body_forces(bool on) { computes_body_forces_ = on; }

  // Gymnasium's reset noise: qpos = init_qpos + np_random.uniform(low, high, size=nq),
  // drawn in element order.
  void uniform_noise(std::span<const double> base, double low, double high, std::span<double> out);

 private:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) final;
  StepResult do_step(ActionRef action, std::span<float> obs) final;

  // The kinds of physics call get_state() records (its first value).
  enum class PhysicsCall { kNone = 0, kForward = 1, kStep = 2 };
  // Records mjData's current input to a physics call of kind `call` (before making it).
  void capture_input(PhysicsCall call);
  // mj_forward, with qpos left as it was set (as MuJoCo >= 2.3 leaves it).
  void forward_keeping_qpos();

  MjModelPtr model_;
  MjDataPtr data_;
  int frame_skip_;
  bool computes_body_forces_ = true;
  PhysicsCall last_call_ = PhysicsCall::kNone;
  std::vector<double> last_input_;  // the input of last_call_, in get_state()'s layout
  std::vector<double> qpos_set_;    // forward_keeping_qpos's copy
  std::vector<double> init_qpos_, init_qvel_, qpos_before_;
  StepInfo info_;
};

// An environment built from a user's MJCF model and C++ functions, as a subclass of
// Gymnasium's MujocoEnv is written in Python. For example:
//
//   cairn::MujocoTask task;
//   task.model = cairn::load_mjcf_file("my_robot.xml");
//   task.frame_skip = 5;
//   task.observation_size = 2 * task.model->nq;  // read before moving the model
//   task.observation = [](const cairn::MujocoEnv& e, std::span<float> obs) { ... };
//   task.reward = [](const cairn::MujocoEnv& e, std::span<const float> action) {
//     return (e.data().qpos[0] - e.qpos_before()[0]) / e.dt();
//   };
//   task.terminated = [](const cairn::MujocoEnv& e) { return e.data().qpos[2] < 0.2; };
//   cairn::UserMujocoEnv env(std::move(task));
//
// Reset: by default qpos and qvel are init_qpos()/init_qvel() plus uniform noise in
// [-reset_noise_scale, reset_noise_scale); set `reset` for another draw.
struct MujocoTask {
  MjModelPtr model;
  int frame_skip = 1;
  size_t observation_size = 0;
  // Writes the observation (observation_size values). Required.
  std::function<void(const MujocoEnv&, std::span<float>)> observation;
  // The step's reward, after the simulation. Required.
  std::function<double(const MujocoEnv&, std::span<const float> action)> reward;
  // Whether the episode ended in a terminal state. Optional (never, when empty).
  std::function<bool(const MujocoEnv&)> terminated;
  // Sets the initial qpos/qvel (e.g. with set_qpos_qvel). Optional.
  std::function<void(MujocoEnv&, Rng&)> reset;
  double reset_noise_scale = 0.01;
};

class UserMujocoEnv : public MujocoEnv {
 public:
  // Throws cairn::Error if a required part of `task` is missing (naming it) or as MujocoEnv.
  explicit UserMujocoEnv(MujocoTask task);

 protected:
  void reset_model(std::span<float> obs) override;
  StepResult step_model(std::span<const float> action, std::span<float> obs) override;

 private:
  MujocoTask task_;
  std::vector<double> qpos_, qvel_;
};

}  // namespace cairn
