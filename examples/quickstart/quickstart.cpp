// The README's example: train, save, restore the policy alone, act.
#include <cstdio>

#include "cairn/algorithms/ppo.h"
#include "cairn/env/env_registry.h"

int main() {
  cairn::PPO ppo(cairn::ppo_preset("CartPole-v1"));  // the tuned preset
  cairn::StopConditions stop;
  stop.mean_return = 475;  // solved
  stop.timesteps = 150000;
  ppo.learn(stop);
  ppo.save_checkpoint("quickstart_checkpoint", /*overwrite=*/true);

  // Later, anywhere: the policy alone, from its folder. No algorithm, no training config.
  auto policy = cairn::Policy::from_checkpoint("quickstart_checkpoint/policies/default_policy");
  auto env = cairn::make("CartPole-v1");
  std::vector<float> obs = env->reset(/*seed=*/7);
  double episode_return = 0;
  for (bool done = false; !done;) {
    const cairn::StepResult r = env->step(policy->compute_action(obs), obs);
    episode_return += r.reward;
    done = r.terminated || r.truncated;
  }
  std::printf("restored policy: return %.0f\n", episode_return);
}
