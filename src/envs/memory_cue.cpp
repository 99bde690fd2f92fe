#include "cairn/envs/memory_cue.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cairn/error.h"
#include "envs/integer_option.h"

namespace cairn {
namespace {

// The integer a state element holds, or an error naming the element and the range.
int64_t state_integer(double v, const char* name, int64_t low, int64_t high) {
  if (!(v >= static_cast<double>(low) && v <= static_cast<double>(high)) || v != std::floor(v)) {
    throw Error(std::string("MemoryCue: state element '") + name + "' must be an integer from " +
                std::to_string(low) + " to " + std::to_string(high) + ", got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

Space memory_cue_observation_space(int64_t num_cues) {
  return Space::box(0.0f, 1.0f, {num_cues + 1});
}

}  // namespace

MemoryCue::MemoryCue(int64_t delay, int64_t num_cues)
    : Env(memory_cue_observation_space(
              integer_option_in_range("MemoryCue", "num_cues", num_cues, 2, kMaxNumCues)),
          Space::discrete(
              integer_option_in_range("MemoryCue", "num_cues", num_cues, 2, kMaxNumCues))),
      delay_(integer_option_in_range("MemoryCue", "delay", delay, 1, kMaxDelay)),
      num_cues_(num_cues) {}

std::vector<double> MemoryCue::get_state() const {
  return {static_cast<double>(cue_), static_cast<double>(steps_)};
}

void MemoryCue::set_state(std::span<const double> state) {
  check_state(state, 2);
  const int64_t cue = state_integer(state[0], "cue", 0, num_cues_ - 1);
  const int64_t steps = state_integer(state[1], "steps", 0, delay_ + 1);
  cue_ = cue;
  steps_ = steps;
}

void MemoryCue::write_observation(std::span<float> obs) const {
  std::fill(obs.begin(), obs.end(), 0.0f);
  if (steps_ == 0) obs[static_cast<size_t>(cue_)] = 1.0f;
  if (steps_ == delay_) obs[static_cast<size_t>(num_cues_)] = 1.0f;
}

void MemoryCue::do_reset(std::optional<uint64_t>, std::span<float> obs) {
  cue_ = static_cast<int64_t>(np_random().below(static_cast<uint64_t>(num_cues_)));
  steps_ = 0;
  write_observation(obs);
}

StepResult MemoryCue::do_step(ActionRef action, std::span<float> obs) {
  if (steps_ < delay_) {
    ++steps_;
    write_observation(obs);
    return {0.0, false, false};
  }
  const double reward = action.discrete[0] == cue_ ? 1.0 : -1.0;
  steps_ = delay_ + 1;
  write_observation(obs);
  return {reward, true, false};
}

}  // namespace cairn
