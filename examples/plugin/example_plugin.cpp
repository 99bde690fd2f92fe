// A plugin of the cairn program (include/cairn/plugin.h): it adds the environment
// "LineWalk-v0" and the layer "scaled_tanh" to every `cairn` command:
//
//   cairn train --plugin ./libcairn_example_plugin.so --env LineWalk-v0 --config walk.json ...
//
// Built as a MODULE library linked with cairn::plugin (see CMakeLists.txt).
#include <memory>
#include <optional>

#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"
#include "cairn/plugin.h"
#include "scaled_tanh.h"

namespace {

// A line of `length` cells; the agent starts on a random cell left of the end and walks
// (action 0: left, 1: right) to the end. Reward -0.1 per step, +1 on reaching the end.
class LineWalk : public cairn::Env {
 public:
  explicit LineWalk(int64_t length)
      : cairn::Env(cairn::Space::box(0.0f, static_cast<float>(length), {1}),
                   cairn::Space::discrete(2)),
        end_(length) {
    if (length < 2) throw cairn::Error("LineWalk-v0: length must be at least 2");
  }

  // The physical state, so that checkpoints capture episodes in progress.
  bool has_state() const override { return true; }
  std::vector<double> get_state() const override { return {static_cast<double>(position_)}; }
  void set_state(std::span<const double> state) override {
    if (state.size() != 1 || !(state[0] >= 0 && state[0] < static_cast<double>(end_))) {
      throw cairn::Error("LineWalk-v0: a state is one position in [0, length)");
    }
    position_ = static_cast<int64_t>(state[0]);
  }

 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override {
    position_ = static_cast<int64_t>(np_random().below(static_cast<uint64_t>(end_)));
    obs[0] = static_cast<float>(position_);
  }
  cairn::StepResult do_step(cairn::ActionRef action, std::span<float> obs) override {
    if (action.discrete[0] == 0 && position_ > 0) --position_;
    if (action.discrete[0] == 1) ++position_;
    obs[0] = static_cast<float>(position_);
    const bool reached_end = position_ >= end_;
    return {reached_end ? 1.0 : -0.1, reached_end, false};
  }

 private:
  int64_t end_;
  int64_t position_ = 0;
};

}  // namespace

// Called once by the cairn program after loading the plugin.
CAIRN_PLUGIN_REGISTER() {
  cairn::register_env({
      .id = "LineWalk-v0",
      .factory =
          [](cairn::EnvOptions& options) {
            return std::make_unique<LineWalk>(options.integer("length", 6));
          },
      .max_episode_steps = 50,
      .reward_threshold = std::nullopt,  // the best return depends on the start
      .description = "walk right along a line from a random cell to its end (a plugin's)",
  });
  example::register_scaled_tanh();
}
