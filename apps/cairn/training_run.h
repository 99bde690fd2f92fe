// Running a PPO training from the command line: building the config from presets,
// files and overrides, training with progress output, and the final evaluation.
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm.h"

namespace cairn::cli {

// The config of a run of `algorithm`: its tuned preset for the environment (the one
// given, else the config file's env_id, else the algorithm's default environment), then
// the keys of the config file, then each "key=value" override, then the seed; normalized
// (every key, validated). Throws cairn::Error naming the file or key on bad input.
nlohmann::json resolve_config(const std::string& algorithm,
                              const std::optional<std::string>& env_id,
                              const std::optional<std::string>& config_file,
                              const std::vector<std::string>& overrides,
                              const std::optional<uint64_t>& seed);

enum class ProgressStyle {
  kNone,   // no progress output
  kLines,  // plain lines, at most one per interval_seconds (and the last iteration's)
  kLive,   // one line redrawn in place ("\r", the line, "\x1b[K"), at most once per
           // live_interval_seconds (and at the last iteration), then a newline: for terminals
};

struct ProgressOptions {
  ProgressStyle style = ProgressStyle::kLines;
  double interval_seconds = 1.0;
  double live_interval_seconds = 0.1;
};

// kLive when `out` is a terminal, else kLines; kNone when `quiet`.
ProgressStyle progress_style_for(std::FILE* out, bool quiet);

// Trains until `stop` is met (nothing if it already is, as when resuming a finished
// run), printing progress to `out` in the chosen style; `after_iteration` (optional)
// runs after each iteration, before its progress is printed. Returns every iteration's
// result. A live line is always ended with a newline, even when `after_iteration`
// or training throws.
std::vector<TrainResult> train_with_progress(
    Algorithm& algorithm, const StopConditions& stop, const ProgressOptions& progress,
    std::FILE* out, const std::function<void(const TrainResult&)>& after_iteration = {});

// Seconds until `stop` is met at the run's average pace so far (timesteps per second
// and seconds per iteration of training, from r.time_elapsed): the soonest of the
// timesteps, iterations and seconds conditions that are set. Empty when none of them
// is set or the pace is not known yet (the mean-return condition cannot be forecast).
std::optional<double> eta_seconds(const TrainResult& r, const StopConditions& stop);

// One line: "iter 12  steps 24,576/100,000  return 231.40  sps 180,512  elapsed 0.14 s
// eta 0.4 s" (the target only with a timesteps condition; "return ?" before the first
// episode ends; "eta ?" when eta_seconds() is empty).
std::string progress_line(const TrainResult& r, const StopConditions& stop);

}  // namespace cairn::cli
