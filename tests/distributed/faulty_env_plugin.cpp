// FaultyEnv-v0, a plugin of the cairn program for the distributed fault tests
// (tests/distributed/distributed_training_test.cpp): a short corridor whose copy reset
// with seed `fail_seed` fails at its `fail_at_step`-th step, by throwing cairn::Error
// (fault 0) or by crashing the process (fault 1, std::abort). The other copies never fail,
// so only the rank that steps that copy does.
#include <cstdlib>
#include <memory>
#include <string>

#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/plugin.h"

namespace {

class FaultyEnv : public cairn::Env {
 public:
  FaultyEnv(int64_t fail_seed, int64_t fail_at_step, int64_t fault)
      : cairn::Env(cairn::Space::box(0.0f, 8.0f, {1}), cairn::Space::discrete(2)),
        fail_seed_(fail_seed),
        fail_at_step_(fail_at_step),
        fault_(fault) {}

 protected:
  void do_reset(std::optional<uint64_t> seed, std::span<float> obs) override {
    if (seed) seed_ = static_cast<int64_t>(*seed);
    position_ = 0;
    obs[0] = 0.0f;
  }
  cairn::StepResult do_step(cairn::ActionRef action, std::span<float> obs) override {
    if (seed_ == fail_seed_ && ++steps_ == fail_at_step_) {
      if (fault_ == 1) std::abort();
      throw cairn::Error("FaultyEnv-v0 (seed " + std::to_string(seed_) +
                         "): the injected failure at step " + std::to_string(steps_));
    }
    position_ = action.discrete[0] == 1 ? position_ + 1 : (position_ > 0 ? position_ - 1 : 0);
    obs[0] = static_cast<float>(position_);
    const bool end = position_ >= 8;
    return {end ? 1.0 : -0.01, end, false};
  }

 private:
  int64_t fail_seed_, fail_at_step_, fault_;
  int64_t seed_ = -1, steps_ = 0, position_ = 0;
};

}  // namespace

CAIRN_PLUGIN_REGISTER() {
  cairn::register_env({
      .id = "FaultyEnv-v0",
      .factory =
          [](cairn::EnvOptions& options) {
            return std::make_unique<FaultyEnv>(options.integer("fail_seed", -1),
                                               options.integer("fail_at_step", 1),
                                               options.integer("fault", 0));
          },
      .max_episode_steps = 50,
      .description = "a corridor whose copy with seed fail_seed fails (distributed tests)",
  });
}
