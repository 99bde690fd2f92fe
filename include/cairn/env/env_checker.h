// check_env: checks that an environment follows cairn's Env contract, as
// gymnasium.utils.env_checker.check_env does for Gymnasium environments.
//
// It checks that the spaces are valid and serialisable, that reset and step
// return observations inside the observation space, that reset with the same
// seed reproduces the same observation (and the same first steps under the same
// actions), that rewards are finite, that stepping after the end of an episode
// is refused, and that get_state/set_state (when supported) round-trip: a state taken
// mid-episode and restored (with the generator) into an environment that has run
// elsewhere since reproduces the next steps bit for bit.
//
// Returns normally if every check passes; throws cairn::Error describing the
// first failed check otherwise. Resets the environment (with seeds derived from
// `seed`) and leaves it mid-episode or ended. Allocates.
#pragma once

#include <cstdint>

#include "cairn/env/env.h"

namespace cairn {

void check_env(Env& env, uint64_t seed = 0, int max_steps = 1000);

}  // namespace cairn
