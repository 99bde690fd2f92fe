// SimpleCorridor: the custom environment of cairn's founding story (RLlib's
// classic example), written the way any user writes their own environment.
//
// The agent starts at position 0 of a corridor of length `corridor_length`
// (default 5). Observation: Box(0, length, (1,)) holding the position. Actions:
// Discrete(2), 0 moves left (not below 0), 1 moves right. Reward: -0.1 per
// step, and +1 on the step that reaches the end, which terminates the episode.
// The best return is therefore 1 - 0.1 * (length - 1) = 0.6 for length 5.
#pragma once

#include <cstdint>

#include "cairn/env/env.h"

namespace corridor {

class SimpleCorridor : public cairn::Env {
 public:
  // Throws cairn::Error if corridor_length < 1.
  explicit SimpleCorridor(int64_t corridor_length = 5);

  bool has_state() const override { return true; }
  std::vector<double> get_state() const override { return {static_cast<double>(position_)}; }
  void set_state(std::span<const double> state) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  cairn::StepResult do_step(cairn::ActionRef action, std::span<float> obs) override;

 private:
  int64_t end_;
  int64_t position_ = 0;
};

// Registers "SimpleCorridor-v0" (option "corridor_length", time limit 100 steps).
// Safe to call more than once.
void register_simple_corridor();

}  // namespace corridor
