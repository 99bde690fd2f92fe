// Env: an environment with Gymnasium's semantics.
//
//   reset(seed?) -> observation
//   step(action) -> observation, reward, terminated, truncated
//
// Observations are written as flat float32 buffers of observation_space().size()
// elements (integer observations are stored as their exact float value). Actions
// are passed as an `ActionRef`: int64 elements for Discrete and MultiDiscrete
// spaces, float elements for Box.
//
// The public methods are non-virtual and enforce the protocol for every
// environment, built-in or user-written:
//   - step() before the first reset(), or after an episode ended (terminated or
//     truncated) without a reset() in between, throws cairn::Error;
//   - an action of the wrong kind or length, an integer action outside the
//     space, or a non-finite Box action throws cairn::Error naming the problem;
//   - a finite Box action outside the bounds throws too, unless the environment
//     declares that it clips actions itself (`clips_box_actions()`), as
//     Gymnasium's Pendulum-v1 and MountainCarContinuous-v0 do.
// Subclasses implement do_reset() and do_step() and never see invalid input.
//
// Seeding follows Gymnasium: reset(seed) re-seeds the environment's generator
// `np_random()` as np.random.default_rng(seed) would (see random.h); reset()
// without a seed continues the current generator; the first reset without any
// seed draws one from std::random_device.
//
// An Env is not thread-safe; use one per thread. step() and the span overload of
// reset() do not allocate for the built-in environments; the overloads that
// return std::vector allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cairn/random/random.h"
#include "cairn/space/space.h"

namespace cairn {

// A non-owning view of one action. Exactly one of the two spans is used,
// according to the action space.
struct ActionRef {
  std::span<const int64_t> discrete;  // Discrete (1 element) or MultiDiscrete
  std::span<const float> continuous;  // Box
};

// Checks an action against `space` as Env::step does (kind, length, integer range, finite
// Box elements, and Box bounds unless `clips_box_actions`); throws cairn::Error starting with
// `who` ("Env::step", "agent 'car_1'") and naming the problem otherwise.
void validate_action(const Space& space, ActionRef action, bool clips_box_actions,
                     const std::string& who);

// Gymnasium's seeding of an environment's generator at reset: re-seeds `np_random` as
// np.random.default_rng(seed) when `seed` is set; otherwise, the first time (`seeded` false),
// from std::random_device, as Gymnasium seeds from OS entropy; otherwise leaves it to
// continue. Sets `seeded`.
void seed_at_reset(Rng& np_random, bool& seeded, std::optional<uint64_t> seed);

struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // the MDP reached a terminal state: do not bootstrap
  bool truncated = false;   // cut short (time limit etc.): bootstrap from the observation
};

// step() result with an owned observation, for convenience APIs.
struct Transition {
  std::vector<float> observation;
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

class Env {
 public:
  Env(Space observation_space, Space action_space);
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const Space& observation_space() const { return observation_space_; }
  const Space& action_space() const { return action_space_; }

  // Starts an episode and writes its first observation into `obs`
  // (observation_space().size() elements; throws cairn::Error otherwise).
  void reset(std::span<float> obs, std::optional<uint64_t> seed = std::nullopt);
  // As above, returning the observation. Allocates.
  std::vector<float> reset(std::optional<uint64_t> seed = std::nullopt);

  // Applies `action` and writes the next observation into `obs`. Throws
  // cairn::Error on protocol violations and invalid actions (see above).
  StepResult step(ActionRef action, std::span<float> obs);
  // Conveniences for a Discrete action, an integer vector (MultiDiscrete) and a
  // Box action. Allocate the returned observation.
  Transition step(int64_t action);
  Transition step(std::span<const int64_t> action);
  Transition step(std::span<const float> action);

  // True between reset() and the end of an episode.
  bool episode_active() const { return active_; }

  // The complete physical state (Gymnasium's env.unwrapped.state) as float64.
  // Environments that do not support it return false from has_state() and throw
  // cairn::Error from get_state()/set_state(). set_state() throws on a state of
  // the wrong length or with non-finite values; it does not change whether an
  // episode is active.
  virtual bool has_state() const { return false; }
  virtual std::vector<double> get_state() const;
  virtual void set_state(std::span<const double> state);

  // Marks an episode as in progress without reset(), after set_state() (and, for
  // bit-exact continuation, np_random().set_state()) restored one from a checkpoint.
  // The generator counts as seeded afterwards. Wrappers forward it to what they wrap.
  virtual void resume_episode();

  // True if the environment clips out-of-bounds Box actions itself (see above).
  virtual bool clips_box_actions() const { return false; }

  // The environment's generator (Gymnasium's env.np_random).
  Rng& np_random() { return np_random_; }
  const Rng& np_random() const { return np_random_; }

  // The innermost environment under any wrappers.
  virtual Env& unwrapped() { return *this; }
  virtual const Env& unwrapped() const { return *this; }

 protected:
  // Called by reset() after `np_random()` has been seeded (when `seed` is set).
  // Wrappers forward `seed` to the environment they wrap.
  virtual void do_reset(std::optional<uint64_t> seed, std::span<float> obs) = 0;
  // Called by step() with a validated action and an `obs` of the right length.
  virtual StepResult do_step(ActionRef action, std::span<float> obs) = 0;

  // For subclasses whose get_state/set_state are implemented: throws cairn::Error
  // unless `state` has `expected` finite elements.
  void check_state(std::span<const double> state, size_t expected) const;

 private:
  void validate_action(ActionRef action) const;

  Space observation_space_;
  Space action_space_;
  Rng np_random_;
  bool seeded_ = false;
  bool active_ = false;
};

}  // namespace cairn
