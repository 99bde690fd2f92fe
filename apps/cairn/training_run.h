// Running a PPO training from the command line: building the config from presets,
// files and overrides, training with progress output, and the final evaluation.
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cairn/algorithms/ppo.h"

namespace cairn::cli {

// The config for a run: the tuned preset of the environment (the one given, else
// the config file's env_id, else CartPole-v1), then the keys of the config file,
// then each "key=value" override, then the seed. Throws cairn::Error naming the
// file or key on bad input.
PPOConfig resolve_config(const std::optional<std::string>& env_id,
                         const std::optional<std::string>& config_file,
                         const std::vector<std::string>& overrides,
                         const std::optional<uint64_t>& seed);

struct ProgressOptions {
  bool quiet = false;
  double interval_seconds = 1.0;  // at most one progress line per interval
};

// Trains until `stop` is met, printing progress lines to `out`. Returns every
// iteration's result.
// Trains until `stop` is met (nothing if it already is, as when resuming a finished
// run), printing progress lines to `out`; `after_iteration` (optional) runs after each
// iteration. Returns every iteration's result.
std::vector<TrainResult> train_with_progress(
    PPO& ppo, const StopConditions& stop, const ProgressOptions& progress, std::FILE* out,
    const std::function<void(const TrainResult&)>& after_iteration = {});

// One line: "iter 12  steps 24,576/100,000  return 231.4  sps 180,512  elapsed 0.14 s".
std::string progress_line(const TrainResult& r, const StopConditions& stop);

}  // namespace cairn::cli
