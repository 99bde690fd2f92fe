// MemoryCue: a memory-length task for policies with memory (recurrent policies). cairn's
// own environment, not a Gymnasium port.
//
// An episode shows a cue once, hides it for `delay` steps, then asks for it back:
//
//   reset        draws the cue c uniformly from {0, ..., num_cues - 1} with np_random()
//                (Rng::below) and returns the first observation, which shows c.
//   steps 1 to delay
//                actions are ignored, reward 0. The observations after them show no cue;
//                the one after step `delay` raises the "answer now" flag.
//   step delay + 1
//                the answer: reward +1 if the action equals c, else -1; terminated.
//
//   Observation  Box(num_cues + 1) float32 in [0, 1]: elements 0..num_cues-1 are the cue
//                as a one-hot (in the first observation only; zeros afterwards), element
//                num_cues is the "answer now" flag (1 in the observation after step
//                `delay`, that is the one the answer is chosen from; 0 otherwise).
//   Action       Discrete(num_cues): the answer (ignored before the answer step).
//   Reward       +1 for the right answer, -1 for a wrong one, 0 on every other step.
//   Terminated   after the answer: every episode is exactly delay + 1 steps long.
//                "MemoryCue-v0" in the registry adds no time limit (the episode ends by
//                itself); reward threshold 0.9.
//   Options      delay (integer, 1 to 1,000,000, default 8): the steps between the cue
//                and the answer; num_cues (integer, 2 to 1,000, default 2).
//
// Why it needs memory: the observation the answer is chosen from is the same in every
// episode (no cue, flag raised), so a memoryless policy, any function of the current
// observation, deterministic or stochastic, answers independently of the cue and is right
// with probability 1 / num_cues: its expected return is 2 / num_cues - 1 (0 with the default
// 2 cues). The flag tells it when to answer, not what. A policy that remembers the first
// observation for `delay` steps answers right every time: return +1.
//
// State (get_state/set_state): [cue, steps taken in the episode] as float64 integers;
// set_state throws cairn::Error unless the cue is in [0, num_cues) and the steps in
// [0, delay + 1] (delay + 1: after the answer; a step from there answers again).
//
// Thread safety: as Env. step() and the span overload of reset() do not allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cairn/env/env.h"

namespace cairn {

class MemoryCue : public Env {
 public:
  static constexpr int64_t kDefaultDelay = 8;
  static constexpr int64_t kDefaultNumCues = 2;
  static constexpr int64_t kMaxDelay = 1000000;
  static constexpr int64_t kMaxNumCues = 1000;

  // Throws cairn::Error naming the option ('delay' or 'num_cues') when it is out of range.
  explicit MemoryCue(int64_t delay = kDefaultDelay, int64_t num_cues = kDefaultNumCues);

  int64_t delay() const { return delay_; }
  int64_t num_cues() const { return num_cues_; }
  // The current episode's cue (for tests and analysis; a policy never sees it after the
  // first observation).
  int64_t cue() const { return cue_; }

  bool has_state() const override { return true; }
  // Returns [cue, steps taken]. Allocates the returned vector.
  std::vector<double> get_state() const override;
  // Throws cairn::Error unless `state` has 2 finite integer elements in range (above).
  void set_state(std::span<const double> state) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult do_step(ActionRef action, std::span<float> obs) override;

 private:
  void write_observation(std::span<float> obs) const;

  int64_t delay_;
  int64_t num_cues_;
  int64_t cue_ = 0;
  int64_t steps_ = 0;  // steps taken in the episode: 0 .. delay + 1
};

}  // namespace cairn
