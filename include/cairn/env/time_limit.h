// TimeLimit: truncates episodes after a number of steps, as gymnasium.wrappers.TimeLimit.
//
// The step that reaches `max_episode_steps` returns truncated = true (terminated
// keeps whatever the environment reported: both can be true). The counter
// restarts at reset(). Not thread-safe, like Env; does not allocate.
#pragma once

#include "cairn/env/wrapper.h"

namespace cairn {

class TimeLimit : public Wrapper {
 public:
  // Throws cairn::Error if max_episode_steps <= 0 or env is null.
  TimeLimit(std::unique_ptr<Env> env, int64_t max_episode_steps);

  int64_t max_episode_steps() const { return max_episode_steps_; }
  int64_t elapsed_steps() const { return elapsed_steps_; }
  // Sets the step counter (for restoring a saved episode). Throws cairn::Error
  // if `steps` is negative or not below max_episode_steps().
  void set_elapsed_steps(int64_t steps);

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  int64_t max_episode_steps_;
  int64_t elapsed_steps_ = 0;
};

}  // namespace cairn
