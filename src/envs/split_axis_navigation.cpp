#include "cairn/envs/split_axis_navigation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cairn/error.h"
#include "envs/integer_option.h"

namespace cairn {

SplitAxisNavigation::SplitAxisNavigation(int64_t size, int64_t max_steps)
    : MultiAgentEnv({"x", "y"}, {Space::box(-1.0f, 1.0f, {1}), Space::box(-1.0f, 1.0f, {1})},
                    {Space::discrete(3), Space::discrete(3)}),
      size_(integer_option_in_range("SplitAxisNavigation", "size", size, 2, kMaxSize)),
      max_steps_(integer_option_in_range("SplitAxisNavigation", "max_steps", max_steps, 1,
                                         kMaxMaxSteps)) {}

void SplitAxisNavigation::write_observations(MultiAgentStep& out) const {
  const double scale = static_cast<double>(size_ - 1);
  for (size_t axis = 0; axis < 2; ++axis) {
    const double offset = static_cast<double>(target_[axis] - marker_[axis]);
    out.observations[axis][0] = static_cast<float>(offset / scale);
    out.has_observation[axis] = 1;
  }
}

void SplitAxisNavigation::do_reset(std::optional<uint64_t>, MultiAgentStep& out) {
  const uint64_t n = static_cast<uint64_t>(size_);
  Rng& rng = np_random();
  // Separate statements: the order of the draws is part of the contract.
  marker_[0] = static_cast<int64_t>(rng.below(n));
  marker_[1] = static_cast<int64_t>(rng.below(n));
  target_[0] = static_cast<int64_t>(rng.below(n));
  target_[1] = static_cast<int64_t>(rng.below(n));
  steps_ = 0;
  set_live(0, true);
  set_live(1, true);
  write_observations(out);
}

void SplitAxisNavigation::do_step(const MultiAgentActions& actions, MultiAgentStep& out) {
  for (size_t axis = 0; axis < 2; ++axis) {
    const int64_t move = actions.get(axis).discrete[0] - 1;
    marker_[axis] = std::clamp<int64_t>(marker_[axis] + move, 0, size_ - 1);
  }
  ++steps_;
  const bool scored = marker_ == target_;
  const bool out_of_time = !scored && steps_ >= max_steps_;
  for (size_t axis = 0; axis < 2; ++axis) {
    out.rewards[axis] = scored ? kGoalReward : kStepReward;
    out.terminated[axis] = scored ? 1 : 0;
    out.truncated[axis] = out_of_time ? 1 : 0;
  }
  write_observations(out);
}

void SplitAxisNavigation::save_state(TensorDict& out, const std::string& prefix) const {
  out.insert(prefix + "options", Tensor::i64(std::vector<int64_t>{size_, max_steps_}, {2}));
  out.insert(prefix + "marker", Tensor::i64(marker_, {2}));
  out.insert(prefix + "target", Tensor::i64(target_, {2}));
  out.insert(prefix + "steps", Tensor::i64(std::vector<int64_t>{steps_}, {1}));
}

void SplitAxisNavigation::restore_state(const TensorDict& in, const std::string& prefix) {
  const std::vector<int64_t> options =
      in.expect(prefix + "options", DType::i64, {2}).to_vector<int64_t>();
  const std::vector<int64_t> marker =
      in.expect(prefix + "marker", DType::i64, {2}).to_vector<int64_t>();
  const std::vector<int64_t> target =
      in.expect(prefix + "target", DType::i64, {2}).to_vector<int64_t>();
  const int64_t steps = in.expect(prefix + "steps", DType::i64, {1}).to_vector<int64_t>()[0];
  const std::string where = in.source() + ": tensor '" + prefix;
  if (options[0] != size_ || options[1] != max_steps_) {
    throw Error(where + "options' holds size " + std::to_string(options[0]) + " and max_steps " +
                std::to_string(options[1]) + ", but this environment has " + std::to_string(size_) +
                " and " + std::to_string(max_steps_));
  }
  for (size_t axis = 0; axis < 2; ++axis) {
    if (marker[axis] < 0 || marker[axis] >= size_ || target[axis] < 0 || target[axis] >= size_) {
      throw Error(where + (marker[axis] < 0 || marker[axis] >= size_ ? "marker" : "target") +
                  "' is off the " + std::to_string(size_) + " x " + std::to_string(size_) +
                  " grid");
    }
  }
  if (steps < 0 || steps > max_steps_) {
    throw Error(where + "steps' holds " + std::to_string(steps) + ", outside [0, " +
                std::to_string(max_steps_) + "]");
  }
  std::copy(marker.begin(), marker.end(), marker_.begin());
  std::copy(target.begin(), target.end(), target_.begin());
  steps_ = steps;
}

}  // namespace cairn
