// FaultyEnv-v0: a user environment (as a test would write one) that returns a NaN or
// infinite reward or observation at a chosen step, for the non-finite tests.
//
// Options: "fault" ("reward_nan", "reward_inf", "reward_huge" = 1e39, beyond float,
// "obs_large" = 1e30, finite, "obs_nan", "obs_inf"), "fault_step" (the instance's n-th step
// since construction, 1-based; -1 never), "fault_every" (fault on every step from
// fault_step on), "fault_seed" (only the instance first reset with this seed faults; -1
// every instance), "box_actions" (Box [-1, 1] actions instead of Discrete(2), for SAC and
// TD3). Observation Box [-10, 10]^2, reward 1, episodes of 10 steps (terminated).
#pragma once

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"

namespace cairn::testing_env {

class FaultyEnv : public Env {
 public:
  FaultyEnv(std::string fault, int64_t fault_step, bool every, int64_t fault_seed,
            bool box_actions = false)
      : Env(Space::box(-10.0f, 10.0f, {2}),
            box_actions ? Space::box(-1.0f, 1.0f, {1}) : Space::discrete(2)),
        fault_(std::move(fault)),
        fault_step_(fault_step),
        every_(every),
        fault_seed_(fault_seed) {}

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override {
    if (seed && !first_seed_) first_seed_ = static_cast<int64_t>(*seed);
    t_ = 0;
    obs[0] = 0.5f;
    obs[1] = -0.5f;
  }
  StepResult do_step(ActionRef a, std::span<float> obs) override {
    ++steps_;
    ++t_;
    obs[0] = static_cast<float>(t_) / 10.0f;
    const bool low = a.discrete.empty() ? a.continuous[0] < 0.0f : a.discrete[0] == 0;
    obs[1] = low ? -0.5f : 0.5f;
    double reward = 1.0;
    const bool mine = fault_seed_ < 0 || (first_seed_ && *first_seed_ == fault_seed_);
    const bool now = fault_step_ > 0 && (every_ ? steps_ >= fault_step_ : steps_ == fault_step_);
    if (mine && now) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      const double inf = std::numeric_limits<double>::infinity();
      if (fault_ == "reward_nan") reward = nan;
      if (fault_ == "reward_inf") reward = -inf;
      if (fault_ == "reward_huge") reward = 1e39;
      if (fault_ == "obs_large") obs[1] = 1e30f;
      if (fault_ == "obs_nan") obs[1] = static_cast<float>(nan);
      if (fault_ == "obs_inf") obs[1] = static_cast<float>(inf);
    }
    return {reward, t_ >= 10, false};
  }

 private:
  std::string fault_;
  int64_t fault_step_;
  bool every_;
  int64_t fault_seed_;
  std::optional<int64_t> first_seed_;
  int64_t steps_ = 0;
  int t_ = 0;
};

inline void register_faulty_env() {
  static const bool registered = [] {
    register_env({.id = "FaultyEnv-v0", .factory = [](EnvOptions& o) {
                    auto env = std::make_unique<FaultyEnv>(
                        o.string("fault", "reward_nan"), o.integer("fault_step", -1),
                        o.boolean("fault_every", false), o.integer("fault_seed", -1),
                        o.boolean("box_actions", false));
                    o.finish();
                    return env;
                  }});
    return true;
  }();
  (void)registered;
}

}  // namespace cairn::testing_env
