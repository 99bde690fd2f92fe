#include "training_run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/presets.h"
#include "cairn/error.h"
#include "cairn/io/text_file.h"

namespace cairn::cli {

nlohmann::json resolve_config(const std::string& algorithm,
                              const std::optional<std::string>& env_id,
                              const std::optional<std::string>& config_file,
                              const std::vector<std::string>& overrides,
                              const std::optional<uint64_t>& seed) {
  const AlgorithmInfo& info = algorithm_info(algorithm);
  nlohmann::json file_json = nlohmann::json::object();
  if (config_file) {
    const std::string where = "config file '" + *config_file + "'";
    std::string text;
    try {
      text = read_text_file(*config_file, kMaxJsonFileBytes, "a config file");
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    // Strict: duplicate keys are refused, and a syntax error says where it is.
    file_json = parse_json_strictly(text, where);
    if (!file_json.is_object()) {
      throw Error(where + " is not a JSON object (found " + std::string(file_json.type_name()) +
                  ")");
    }
  }
  std::string env = info.default_config().at("env_id").get<std::string>();
  if (env_id) {
    env = *env_id;
  } else if (file_json.contains("env_id") && file_json["env_id"].is_string()) {
    env = file_json["env_id"].get<std::string>();
  }
  nlohmann::json config = preset_config(info.name, env);
  try {
    for (const auto& [key, value] : file_json.items()) config[key] = value;
    config = info.normalize_config(config);
  } catch (const Error& e) {
    throw Error("config file '" + *config_file + "': " + e.what());
  }
  config["env_id"] = env;
  for (const std::string& o : overrides) {
    const nlohmann::json one = config_fields::parse_assignment(info.label + " config", o);
    for (const auto& [key, value] : one.items()) config[key] = value;
    config = info.normalize_config(config);
  }
  if (seed) config["seed"] = *seed;
  return info.normalize_config(config);
}

namespace {

// 1234567 -> "1,234,567".
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// "0.14 s", "42.0 s", "3 min 05 s", "2 h 07 min".
std::string duration(double seconds) {
  char buf[64];
  if (seconds < 10) {
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  } else if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600) {
    const auto s = static_cast<long long>(seconds);
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
  } else {
    const auto m = static_cast<long long>(seconds / 60);
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", m / 60, m % 60);
  }
  return buf;
}

}  // namespace

ProgressStyle progress_style_for(std::FILE* out, bool quiet) {
  if (quiet) return ProgressStyle::kNone;
  return ::isatty(::fileno(out)) ? ProgressStyle::kLive : ProgressStyle::kLines;
}

std::optional<double> eta_seconds(const TrainResult& r, const StopConditions& stop) {
  std::optional<double> eta;
  auto consider = [&](double remaining) {
    remaining = std::max(0.0, remaining);
    if (!eta || remaining < *eta) eta = remaining;
  };
  if (r.time_elapsed > 0 && r.timesteps > 0 && stop.timesteps) {
    consider(static_cast<double>(*stop.timesteps - r.timesteps) * r.time_elapsed /
             static_cast<double>(r.timesteps));
  }
  if (r.time_elapsed > 0 && r.iteration > 0 && stop.iterations) {
    consider(static_cast<double>(*stop.iterations - r.iteration) * r.time_elapsed /
             static_cast<double>(r.iteration));
  }
  if (stop.seconds) consider(*stop.seconds - r.time_elapsed);
  return eta;
}

std::string progress_line(const TrainResult& r, const StopConditions& stop) {
  std::string line = "iter " + std::to_string(r.iteration) + "  steps " + grouped(r.timesteps);
  if (stop.timesteps) line += "/" + grouped(*stop.timesteps);
  char buf[64];
  if (std::isfinite(r.episode_return_mean)) {
    std::snprintf(buf, sizeof buf, "%.2f", r.episode_return_mean);
    line += std::string("  return ") + buf;
  } else {
    line += "  return ?";
  }
  line += "  sps " + grouped(static_cast<int64_t>(std::llround(r.steps_per_second)));
  line += "  elapsed " + duration(r.time_elapsed);
  const std::optional<double> eta = eta_seconds(r, stop);
  line += "  eta " + (eta ? duration(*eta) : std::string("?"));
  return line;
}

std::vector<TrainResult> train_with_progress(
    Algorithm& algorithm, const StopConditions& stop, const ProgressOptions& progress,
    std::FILE* out, const std::function<void(const TrainResult&)>& after_iteration) {
  if (algorithm.iteration() > 0 && stop.met(algorithm.last_result())) return {};
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> last_print;
  bool line_open = false;  // a live line is drawn and not yet ended
  const double interval = progress.style == ProgressStyle::kLive ? progress.live_interval_seconds
                                                                 : progress.interval_seconds;
  auto end_line = [&] {
    if (line_open) {
      std::fputc('\n', out);
      std::fflush(out);
      line_open = false;
    }
  };
  try {
    std::vector<TrainResult> results = algorithm.learn(stop, [&](const TrainResult& r) {
      if (after_iteration) after_iteration(r);
      if (progress.style == ProgressStyle::kNone) return true;
      const bool final = stop.met(r);
      const Clock::time_point now = Clock::now();
      if (!final && last_print &&
          std::chrono::duration<double>(now - *last_print).count() < interval) {
        return true;
      }
      last_print = now;
      if (progress.style == ProgressStyle::kLive) {
        std::fprintf(out, "\r%s\x1b[K", progress_line(r, stop).c_str());
        line_open = true;
      } else {
        std::fprintf(out, "%s\n", progress_line(r, stop).c_str());
      }
      std::fflush(out);
      return true;
    });
    end_line();
    return results;
  } catch (...) {
    end_line();
    throw;
  }
}

}  // namespace cairn::cli
