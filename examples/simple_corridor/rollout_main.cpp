// Rolls out SimpleCorridor through the registry with random actions and with the
// always-right policy, checks it with the environment checker, and prints returns.
#include <cstdio>
#include <exception>

#include "cairn/env/env_checker.h"
#include "cairn/env/env_registry.h"
#include "simple_corridor.h"

int main() {
  try {
    corridor::register_simple_corridor();
    auto env = cairn::make("SimpleCorridor-v0");
    cairn::check_env(*env);
    std::printf("SimpleCorridor-v0 passes the environment checker\n");

    cairn::Rng rng(0);
    for (int episode = 0; episode < 3; ++episode) {
      env->reset(static_cast<uint64_t>(episode));
      double ret = 0;
      int steps = 0;
      for (;;) {
        int64_t action = 0;
        env->action_space().sample(rng, std::span<int64_t>(&action, 1));
        const cairn::Transition t = env->step(action);
        ret += t.reward;
        ++steps;
        if (t.terminated || t.truncated) break;
      }
      std::printf("random policy, episode %d: return %.2f in %d steps\n", episode, ret, steps);
    }
    env->reset();
    double ret = 0;
    for (;;) {
      const cairn::Transition t = env->step(int64_t{1});
      ret += t.reward;
      if (t.terminated || t.truncated) break;
    }
    std::printf("always-right policy: return %.2f (optimal 0.60)\n", ret);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
