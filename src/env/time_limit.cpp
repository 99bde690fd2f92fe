#include "cairn/env/time_limit.h"

#include "cairn/error.h"

namespace cairn {

TimeLimit::TimeLimit(std::unique_ptr<Env> env, int64_t max_episode_steps)
    : Wrapper(std::move(env)), max_episode_steps_(max_episode_steps) {
  if (max_episode_steps <= 0) {
    throw Error("TimeLimit: max_episode_steps is " + std::to_string(max_episode_steps) +
                "; it must be positive");
  }
}

void TimeLimit::set_elapsed_steps(int64_t steps) {
  if (steps < 0 || steps >= max_episode_steps_) {
    throw Error("TimeLimit::set_elapsed_steps: " + std::to_string(steps) + " is outside [0, " +
                std::to_string(max_episode_steps_) + ")");
  }
  elapsed_steps_ = steps;
}

void TimeLimit::do_reset(std::optional<uint64_t> seed, std::span<float> obs) {
  elapsed_steps_ = 0;
  Wrapper::do_reset(seed, obs);
}

StepResult TimeLimit::do_step(ActionRef action, std::span<float> obs) {
  StepResult r = Wrapper::do_step(action, obs);
  ++elapsed_steps_;
  if (elapsed_steps_ >= max_episode_steps_) r.truncated = true;
  return r;
}

}  // namespace cairn
