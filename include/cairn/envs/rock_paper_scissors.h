// RockPaperScissors: a competitive, zero-sum two-player game repeated for a fixed number of
// rounds. cairn's own multi-agent environment, after PettingZoo's rps (whose Discrete(4)
// observation, the opponent's last move or "none", is one-hot here).
//
//   Agents       "player_0" and "player_1", both live for the whole episode.
//   Action       Discrete(3) each: 0 rock, 1 paper, 2 scissors. Both move at once.
//   Reward       per round, +1 to the winner and -1 to the loser (paper beats rock, scissors
//                beat paper, rock beats scissors), 0 to both on a tie: the rewards of a
//                round always sum to 0.
//   Observation  Box(4) float32 in [0, 1] for each player: elements 0..2 are the opponent's
//                move in the previous round as a one-hot, element 3 is 1 when there was no
//                previous round (the first observation of an episode) and 0 afterwards.
//                Each player sees the opponent's last move, not its own, so a policy can
//                learn to exploit an opponent that reacts to, or repeats, its moves.
//   Episode      exactly `rounds` steps; the last round terminates both players (the game
//                ends by its rules, nothing is cut short), with the last moves observed.
//   Options      rounds (integer, 1 to 1,000,000, default 10).
//
// The environment is symmetric (swapping the players swaps their rewards and observations)
// and deterministic given the actions: it never draws from np_random(). Biased or scripted
// opponents are policies, not environment variants. "RockPaperScissors-v0" in the registry
// has no reward threshold: what a player can win depends on its opponent.
//
// State (has_state() is true): tensors named prefix + "rounds" (I64 [1], the option, checked
// on restore) and "rounds_played" (I64 [1]); the last moves are in the observations.
//
// Thread safety: as MultiAgentEnv. step() and reset() do not allocate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cairn/env/multi_agent_env.h"

namespace cairn {

class RockPaperScissors final : public MultiAgentEnv {
 public:
  static constexpr int64_t kRock = 0, kPaper = 1, kScissors = 2;
  static constexpr int64_t kDefaultRounds = 10;
  static constexpr int64_t kMaxRounds = 1000000;

  // Throws cairn::Error naming the option 'rounds' when it is out of range.
  explicit RockPaperScissors(int64_t rounds = kDefaultRounds);

  int64_t rounds() const { return rounds_; }
  // Rounds played in the current episode (0 after reset()).
  int64_t rounds_played() const { return rounds_played_; }

  // The reward of a player who plays `mine` against `theirs`: +1, -1 or 0. Both moves must
  // be in [0, 3).
  static double payoff(int64_t mine, int64_t theirs);

  bool has_state() const override { return true; }
  // Adds "rounds" and "rounds_played". Throws cairn::Error if a name is already in `out`.
  void save_state(TensorDict& out, const std::string& prefix) const override;
  // Throws cairn::Error naming the tensor for a missing one, one whose dtype or shape does not
  // fit, "rounds" other than this environment's, or "rounds_played" outside [0, rounds].
  void restore_state(const TensorDict& in, const std::string& prefix) override;

 protected:
  void do_reset(std::optional<uint64_t> seed, MultiAgentStep& out) override;
  void do_step(const MultiAgentActions& actions, MultiAgentStep& out) override;

 private:
  int64_t rounds_;
  int64_t rounds_played_ = 0;
};

}  // namespace cairn
