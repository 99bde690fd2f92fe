#include "cairn/env/env_checker.h"

#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cairn/error.h"

namespace cairn {
namespace {

void fail(const std::string& what) {
  throw Error("check_env: " + what);
}

void check_obs(const Env& env, std::span<const float> obs, const std::string& when) {
  const std::string why = env.observation_space().explain_not_contained(obs);
  if (!why.empty())
    fail("the observation returned by " + when + " is outside the observation space: " + why);
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

// A fixed, seeded action sequence, so that two rollouts can be compared step by step.
class ActionSource {
 public:
  ActionSource(const Space& space, uint64_t seed)
      : space_(space), rng_(Rng::stream(seed, 1)), ints_(space.size()), floats_(space.size()) {}
  ActionRef next() {
    if (space_.is_integer()) {
      space_.sample(rng_, std::span<int64_t>(ints_));
      return {ints_, {}};
    }
    if (space_.bounded()) {
      space_.sample(rng_, std::span<float>(floats_));
    } else {
      // Unbounded Box actions: small normal values keep the rollout sensible.
      for (float& f : floats_) f = static_cast<float>(rng_.normal());
    }
    return {{}, floats_};
  }

 private:
  const Space& space_;
  Rng rng_;
  std::vector<int64_t> ints_;
  std::vector<float> floats_;
};

struct Rollout {
  std::vector<std::vector<float>> observations;
  std::vector<double> rewards;
  bool ended = false;
};

Rollout roll(Env& env, uint64_t seed, int steps) {
  Rollout r;
  std::vector<float> obs = env.reset(seed);
  check_obs(env, obs, "reset(seed=" + std::to_string(seed) + ")");
  r.observations.push_back(obs);
  ActionSource actions(env.action_space(), seed);
  for (int i = 0; i < steps; ++i) {
    const StepResult s = env.step(actions.next(), obs);
    check_obs(env, obs, "step " + std::to_string(i));
    if (!std::isfinite(s.reward))
      fail("step " + std::to_string(i) + " returned a non-finite reward");
    r.observations.push_back(obs);
    r.rewards.push_back(s.reward);
    if (s.terminated || s.truncated) {
      r.ended = true;
      break;
    }
  }
  return r;
}

}  // namespace

void check_env(Env& env, uint64_t seed, int max_steps) {
  for (const Space* space : {&env.observation_space(), &env.action_space()}) {
    try {
      if (!(Space::from_json(space->to_json()) == *space)) {
        fail("space " + space->to_string() + " does not round-trip through JSON");
      }
    } catch (const Error& e) {
      fail("space " + space->to_string() + " is not valid: " + e.what());
    }
  }

  // Determinism under the same seed and actions.
  const int compare_steps = std::min(max_steps, 50);
  const Rollout a = roll(env, seed, compare_steps);
  const Rollout b = roll(env, seed, compare_steps);
  if (!same_bits(a.observations[0], b.observations[0])) {
    fail("reset(seed=" + std::to_string(seed) + ") twice gave different observations");
  }
  for (size_t i = 1; i < a.observations.size(); ++i) {
    if (i >= b.observations.size() || !same_bits(a.observations[i], b.observations[i]) ||
        std::bit_cast<uint64_t>(a.rewards[i - 1]) != std::bit_cast<uint64_t>(b.rewards[i - 1])) {
      fail("the same seed and actions gave different results at step " + std::to_string(i - 1));
    }
  }

  // State round trip: a state taken mid-episode, restored into an environment that has
  // since run elsewhere (another seed, other actions), reproduces the continuation bit for
  // bit over several steps. Mid-episode matters: right after a reset the simulator's
  // caches (e.g. MuJoCo's solver warm start) are still at their reset values and a
  // state missing them would pass.
  if (env.has_state()) {
    constexpr int kLead = 5, kFollow = 10;
    ActionSource lead(env.action_space(), seed + 1);
    std::vector<float> obs = env.reset(seed + 1);
    bool ended = false;
    for (int i = 0; i < kLead && !ended; ++i) {
      const StepResult s = env.step(lead.next(), obs);
      ended = s.terminated || s.truncated;
    }
    if (ended) obs = env.reset(seed + 1);  // too short an episode: take the reset state
    const std::vector<double> state = env.get_state();
    const Rng rng_at_state = env.np_random();
    auto continuation = [&](Rollout& r) {
      ActionSource follow(env.action_space(), seed + 4);
      for (int i = 0; i < kFollow; ++i) {
        const StepResult s = env.step(follow.next(), obs);
        r.observations.push_back(obs);
        r.rewards.push_back(s.reward);
        if (s.terminated || s.truncated) {
          r.ended = true;
          break;
        }
      }
    };
    Rollout first, second;
    continuation(first);
    // Elsewhere: another seed and other actions, then the state back.
    obs = env.reset(seed + 3);
    ActionSource other(env.action_space(), seed + 3);
    for (int i = 0; i < kLead; ++i) {
      if (const StepResult s = env.step(other.next(), obs); s.terminated || s.truncated) break;
    }
    if (!env.episode_active()) env.reset(seed + 3);
    env.set_state(state);
    env.np_random() = rng_at_state;
    continuation(second);
    for (size_t i = 0; i < first.observations.size(); ++i) {
      if (i >= second.observations.size() ||
          !same_bits(first.observations[i], second.observations[i]) ||
          std::bit_cast<uint64_t>(first.rewards[i]) != std::bit_cast<uint64_t>(second.rewards[i])) {
        fail("set_state(get_state()) taken mid-episode does not reproduce step " +
             std::to_string(i) + " of the continuation");
      }
    }
    if (first.ended != second.ended || first.observations.size() != second.observations.size())
      fail("set_state(get_state()) taken mid-episode does not reproduce the episode's end");
  }

  // An episode that ends must refuse further steps until reset.
  std::vector<float> obs = env.reset(seed + 2);
  ActionSource actions(env.action_space(), seed + 2);
  bool ended = false;
  for (int i = 0; i < max_steps && !ended; ++i) {
    const StepResult s = env.step(actions.next(), obs);
    check_obs(env, obs, "step " + std::to_string(i));
    ended = s.terminated || s.truncated;
  }
  if (ended) {
    bool refused = false;
    try {
      env.step(actions.next(), obs);
    } catch (const Error&) {
      refused = true;
    }
    if (!refused) fail("step() after the end of an episode was not refused");
  }
}

}  // namespace cairn
