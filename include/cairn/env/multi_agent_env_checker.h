// check_multi_agent_env: checks that a multi-agent environment follows MultiAgentEnv's
// contract, as check_env (env_checker.h) does for single-agent environments and PettingZoo's
// parallel_api_test does for Parallel environments.
//
// Actions are drawn at random from each agent's action space, with a generator of its own
// seeded from `seed` and the agent's index (Rng::stream), so two rollouts with the same seed
// draw the same actions as long as the environment does the same. It checks that:
//   - there are agents, agent_index() finds each, and every agent's spaces are valid and
//     round-trip through JSON;
//   - reset(seed) reports an observation for every live agent and for no other, each finite
//     and inside its agent's observation space;
//   - in every step, every agent that was live before it acted and got a finite reward, its
//     flags and an observation (finite, inside its space); an agent that terminated or was
//     truncated is no longer live, and an agent that left ended (terminated or truncated);
//     an agent that joined got a first observation and no reward or flags; an agent that
//     neither acted nor is live got nothing; agents() lists exactly the live agents;
//   - reset(seed) twice gives the same observations, and the same episode (observations,
//     rewards, flags, live agents, bit for bit) under the same actions;
//   - reset() without a seed after reset(seed) continues reproducibly (the same episode when
//     the sequence is repeated, as when it continues the generator reset(seed) seeded);
//   - step() after the episode is over (no agent live) is refused.
// Episodes are followed for up to `max_steps` steps (the determinism comparisons for up to
// 50).
//
// Returns normally if every check passes; throws cairn::Error naming the environment, the
// agent (where one is at fault) and the first failed check otherwise, including errors the
// environment itself throws during the check (with the call they came from). Resets the
// environment (with seeds derived from `seed`) and leaves it mid-episode or ended. Allocates.
#pragma once

#include <cstdint>

#include "cairn/env/multi_agent_env.h"

namespace cairn {

void check_multi_agent_env(MultiAgentEnv& env, uint64_t seed = 0, int max_steps = 1000);

}  // namespace cairn
