#include "cairn/envs/rock_paper_scissors.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cairn/error.h"

namespace cairn {
namespace {

constexpr size_t kNoPreviousMove = 3;  // the observation element flagging the first round

int64_t checked_rounds(int64_t rounds) {
  if (rounds < 1 || rounds > RockPaperScissors::kMaxRounds) {
    throw Error("RockPaperScissors: option 'rounds' must be an integer from 1 to " +
                std::to_string(RockPaperScissors::kMaxRounds) + ", got " + std::to_string(rounds));
  }
  return rounds;
}

// The opponent's previous move as a one-hot, or the "no previous move" flag when `move` is
// empty.
void write_observation(std::vector<float>& obs, std::optional<int64_t> move) {
  std::fill(obs.begin(), obs.end(), 0.0f);
  obs[move ? static_cast<size_t>(*move) : kNoPreviousMove] = 1.0f;
}

}  // namespace

RockPaperScissors::RockPaperScissors(int64_t rounds)
    : MultiAgentEnv({"player_0", "player_1"},
                    {Space::box(0.0f, 1.0f, {4}), Space::box(0.0f, 1.0f, {4})},
                    {Space::discrete(3), Space::discrete(3)}),
      rounds_(checked_rounds(rounds)) {}

double RockPaperScissors::payoff(int64_t mine, int64_t theirs) {
  // Each move beats the one before it, cyclically: paper (1) beats rock (0), scissors (2)
  // beat paper (1), rock (0) beats scissors (2).
  const int64_t difference = (mine - theirs + 3) % 3;
  if (difference == 1) return 1.0;
  if (difference == 2) return -1.0;
  return 0.0;
}

void RockPaperScissors::do_reset(std::optional<uint64_t>, MultiAgentStep& out) {
  rounds_played_ = 0;
  for (size_t player = 0; player < 2; ++player) {
    write_observation(out.observations[player], std::nullopt);
    out.has_observation[player] = 1;
    set_live(player, true);
  }
}

void RockPaperScissors::do_step(const MultiAgentActions& actions, MultiAgentStep& out) {
  const int64_t moves[2] = {actions.get(0).discrete[0], actions.get(1).discrete[0]};
  ++rounds_played_;
  const bool over = rounds_played_ >= rounds_;
  for (size_t player = 0; player < 2; ++player) {
    const int64_t opponent_move = moves[1 - player];
    out.rewards[player] = payoff(moves[player], opponent_move);
    write_observation(out.observations[player], opponent_move);
    out.has_observation[player] = 1;
    out.terminated[player] = over ? 1 : 0;
  }
}

void RockPaperScissors::save_state(TensorDict& out, const std::string& prefix) const {
  out.insert(prefix + "rounds", Tensor::i64(std::vector<int64_t>{rounds_}, {1}));
  out.insert(prefix + "rounds_played", Tensor::i64(std::vector<int64_t>{rounds_played_}, {1}));
}

void RockPaperScissors::restore_state(const TensorDict& in, const std::string& prefix) {
  const int64_t rounds = in.expect(prefix + "rounds", DType::i64, {1}).to_vector<int64_t>()[0];
  const int64_t played =
      in.expect(prefix + "rounds_played", DType::i64, {1}).to_vector<int64_t>()[0];
  if (rounds != rounds_) {
    throw Error(in.source() + ": tensor '" + prefix + "rounds' holds " + std::to_string(rounds) +
                ", but this environment plays " + std::to_string(rounds_) + " rounds");
  }
  if (played < 0 || played > rounds_) {
    throw Error(in.source() + ": tensor '" + prefix + "rounds_played' holds " +
                std::to_string(played) + ", outside [0, " + std::to_string(rounds_) + "]");
  }
  rounds_played_ = played;
}

}  // namespace cairn
