#include "cairn/env/env.h"

#include <cmath>
#include <random>

#include "cairn/error.h"

namespace cairn {

Env::Env(Space observation_space, Space action_space)
    : observation_space_(std::move(observation_space)), action_space_(std::move(action_space)) {}

void Env::reset(std::span<float> obs, std::optional<uint64_t> seed) {
  if (obs.size() != observation_space_.size()) {
    throw Error("Env::reset: observation buffer has " + std::to_string(obs.size()) +
                " elements but the observation space " + observation_space_.to_string() +
                " needs " + std::to_string(observation_space_.size()));
  }
  seed_at_reset(np_random_, seeded_, seed);
  active_ = false;
  do_reset(seed, obs);
  active_ = true;
}

std::vector<float> Env::reset(std::optional<uint64_t> seed) {
  std::vector<float> obs(observation_space_.size());
  reset(std::span<float>(obs), seed);
  return obs;
}

void seed_at_reset(Rng& np_random, bool& seeded, std::optional<uint64_t> seed) {
  if (seed) {
    np_random = Rng(*seed);
    seeded = true;
  } else if (!seeded) {
    std::random_device device;
    np_random = Rng((static_cast<uint64_t>(device()) << 32) | device());
    seeded = true;
  }
}

void validate_action(const Space& space, ActionRef action, bool clips_box_actions,
                     const std::string& who) {
  if (space.is_integer()) {
    if (!action.continuous.empty()) {
      throw Error(who + ": a float action was given, but the action space is " + space.to_string());
    }
    const std::string why = space.explain_not_contained(action.discrete);
    if (!why.empty()) throw Error(who + ": invalid action: " + why);
    return;
  }
  if (!action.discrete.empty()) {
    throw Error(who + ": an integer action was given, but the action space is " +
                space.to_string());
  }
  if (action.continuous.size() != space.size()) {
    throw Error(who + ": invalid action: it has " + std::to_string(action.continuous.size()) +
                " elements but the action space " + space.to_string() + " needs " +
                std::to_string(space.size()));
  }
  for (size_t i = 0; i < action.continuous.size(); ++i) {
    if (!std::isfinite(action.continuous[i])) {
      throw Error(who + ": invalid action: element " + std::to_string(i) + " is not finite");
    }
  }
  if (!clips_box_actions) {
    const std::string why = space.explain_not_contained(action.continuous);
    if (!why.empty()) throw Error(who + ": invalid action: " + why);
  }
}

void Env::validate_action(ActionRef action) const {
  cairn::validate_action(action_space_, action, clips_box_actions(), "Env::step");
}

StepResult Env::step(ActionRef action, std::span<float> obs) {
  if (!active_) {
    throw Error(seeded_ ? "Env::step: the episode has ended (terminated or truncated); call "
                          "reset() before step()"
                        : "Env::step: step() called before reset()");
  }
  if (obs.size() != observation_space_.size()) {
    throw Error("Env::step: observation buffer has " + std::to_string(obs.size()) +
                " elements but the observation space needs " +
                std::to_string(observation_space_.size()));
  }
  validate_action(action);
  const StepResult r = do_step(action, obs);
  if (r.terminated || r.truncated) active_ = false;
  return r;
}

Transition Env::step(int64_t action) {
  return step(std::span<const int64_t>(&action, 1));
}

Transition Env::step(std::span<const int64_t> action) {
  Transition t;
  t.observation.resize(observation_space_.size());
  const StepResult r = step(ActionRef{action, {}}, t.observation);
  t.reward = r.reward;
  t.terminated = r.terminated;
  t.truncated = r.truncated;
  return t;
}

Transition Env::step(std::span<const float> action) {
  Transition t;
  t.observation.resize(observation_space_.size());
  const StepResult r = step(ActionRef{{}, action}, t.observation);
  t.reward = r.reward;
  t.terminated = r.terminated;
  t.truncated = r.truncated;
  return t;
}

void Env::resume_episode() {
  seeded_ = true;
  active_ = true;
}

std::vector<double> Env::get_state() const {
  throw Error("Env::get_state: this environment does not expose its state");
}

void Env::set_state(std::span<const double>) {
  throw Error("Env::set_state: this environment does not expose its state");
}

void Env::check_state(std::span<const double> state, size_t expected) const {
  if (state.size() != expected) {
    throw Error("Env::set_state: state has " + std::to_string(state.size()) +
                " elements; this environment's state has " + std::to_string(expected));
  }
  for (size_t i = 0; i < state.size(); ++i) {
    if (!std::isfinite(state[i])) {
      throw Error("Env::set_state: state element " + std::to_string(i) + " is not finite");
    }
  }
}

}  // namespace cairn
