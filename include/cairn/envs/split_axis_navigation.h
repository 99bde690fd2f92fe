// SplitAxisNavigation: a cooperative two-agent task in which each agent sees and controls half
// of the state, so the team scores only when both do their part. cairn's own multi-agent
// environment.
//
// A marker and a target lie on a size x size grid. Agent "x" moves the marker along x and
// sees only the x-offset to the target; agent "y" does the same along y. Neither sees the
// other's axis or action.
//
//   reset        draws, with np_random() (Rng::below(size), in this order), the marker's x
//                and y and the target's x and y, each uniform in [0, size). The marker may
//                start on the target; the team still has to stay there for a step to score.
//   Agents       "x" and "y", both live for the whole episode.
//   Action       Discrete(3) each: 0 moves the marker by -1 along the agent's axis, 1 leaves
//                it, 2 moves it by +1. A move off the grid leaves the marker at the edge.
//   Observation  Box(1) float32 in [-1, 1] each: (target - marker) / (size - 1) along the
//                agent's axis, after the step.
//   Reward       shared: +1 to both on the step after which the marker is on the target
//                (both terminate), otherwise -0.01 to both (a step cost: reaching the target
//                sooner pays more).
//   Truncated    both, after max_steps steps without scoring.
//   Options      size (integer, 2 to 1,000, default 9), max_steps (integer, 1 to 1,000,000,
//                default 12). The farthest start needs size - 1 steps: with max_steps below
//                that, some episodes cannot be won.
//
// Why it needs both agents: the marker is on the target only when both coordinates are, so a
// good policy moves towards its own offset and then stays, and it scores only if its partner
// does the same. The optimal team (each moves by the sign of its offset) wins every episode
// with the defaults, in at most size - 1 = 8 steps, a return of at least 0.93 per agent. With
// one agent acting uniformly at random the team wins about 38-39% of episodes within the 12
// steps, and with both random about 9% (over seeds 0-999; tests/envs/multi_agent_envs_test.cpp).
// The defaults are chosen for that gap: on a smaller grid, or with more steps, a random
// partner wanders onto its target coordinate at the right time more often (with size 5 and
// 20 steps, in about 79% of episodes).
// "SplitAxisNavigation-v0" in the registry has the reward threshold 0.9 (per agent).
//
// State (has_state() is true): tensors named prefix + "options" (I64 [2]: size and
// max_steps, checked on restore), "marker" and "target" (I64 [2]: x and y) and "steps"
// (I64 [1]).
//
// Thread safety: as MultiAgentEnv. step() and reset() do not allocate.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "cairn/env/multi_agent_env.h"

namespace cairn {

class SplitAxisNavigation final : public MultiAgentEnv {
 public:
  static constexpr int64_t kDefaultSize = 9;
  static constexpr int64_t kDefaultMaxSteps = 12;
  static constexpr int64_t kMaxSize = 1000;
  static constexpr int64_t kMaxMaxSteps = 1000000;
  static constexpr double kGoalReward = 1.0;
  static constexpr double kStepReward = -0.01;

  // Throws cairn::Error naming the option ('size' or 'max_steps') when it is out of range.
  explicit SplitAxisNavigation(int64_t size = kDefaultSize, int64_t max_steps = kDefaultMaxSteps);

  int64_t size() const { return size_; }
  int64_t max_steps() const { return max_steps_; }
  // The current episode's marker and target as {x, y} (for tests and analysis; the agents
  // see only the offsets).
  std::array<int64_t, 2> marker() const { return marker_; }
  std::array<int64_t, 2> target() const { return target_; }
  int64_t steps() const { return steps_; }

  bool has_state() const override { return true; }
  // Adds "options", "marker", "target" and "steps". Throws cairn::Error if a name is already
  // in `out`.
  void save_state(TensorDict& out, const std::string& prefix) const override;
  // Throws cairn::Error naming the tensor for a missing one, one whose dtype or shape does not
  // fit, "options" other than this environment's, a marker or target off the grid, or
  // "steps" outside [0, max_steps].
  void restore_state(const TensorDict& in, const std::string& prefix) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) override;
  void do_step(const MultiAgentActions& actions, MultiAgentStep& out) override;

 private:
  void write_observations(MultiAgentStep& out) const;

  int64_t size_;
  int64_t max_steps_;
  std::array<int64_t, 2> marker_{};
  std::array<int64_t, 2> target_{};
  int64_t steps_ = 0;
};

}  // namespace cairn
