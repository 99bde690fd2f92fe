#include "training_run.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cairn/error.h"

namespace cairn::cli {

PPOConfig resolve_config(const std::optional<std::string>& env_id,
                         const std::optional<std::string>& config_file,
                         const std::vector<std::string>& overrides,
                         const std::optional<uint64_t>& seed) {
  nlohmann::json file_json = nlohmann::json::object();
  if (config_file) {
    std::ifstream in(*config_file);
    if (!in) throw Error("cannot read config file '" + *config_file + "'");
    std::stringstream text;
    text << in.rdbuf();
    file_json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (file_json.is_discarded() || !file_json.is_object()) {
      throw Error("config file '" + *config_file + "' is not a JSON object");
    }
  }
  std::string env = "CartPole-v1";
  if (env_id) {
    env = *env_id;
  } else if (file_json.contains("env_id") && file_json["env_id"].is_string()) {
    env = file_json["env_id"].get<std::string>();
  }
  PPOConfig config = ppo_preset(env);
  try {
    config = PPOConfig::from_json(file_json, config);
  } catch (const Error& e) {
    throw Error("config file '" + *config_file + "': " + e.what());
  }
  config.env_id = env;
  for (const std::string& o : overrides) config.set(o);
  if (seed) config.seed = *seed;
  config.validate();
  return config;
}

std::string progress_line(const TrainResult& r, const StopConditions& stop) {
  char buf[256];
  std::string steps = std::to_string(r.timesteps);
  if (stop.timesteps) steps += "/" + std::to_string(*stop.timesteps);
  std::snprintf(buf, sizeof buf, "iter %lld  steps %s  return %.2f  sps %.0f  elapsed %.2f s",
                static_cast<long long>(r.iteration), steps.c_str(),
                std::isfinite(r.episode_return_mean) ? r.episode_return_mean : std::nan(""),
                r.steps_per_second, r.time_elapsed);
  return buf;
}

std::vector<TrainResult> train_with_progress(
    PPO& ppo, const StopConditions& stop, const ProgressOptions& progress, std::FILE* out,
    const std::function<void(const TrainResult&)>& after_iteration) {
  if (ppo.iteration() > 0 && stop.met(ppo.last_result())) return {};
  double last_print = -1e9;
  return ppo.learn(stop, [&](const TrainResult& r) {
    if (after_iteration) after_iteration(r);
    const bool final = stop.met(r);
    if (!progress.quiet && (final || r.time_elapsed - last_print >= progress.interval_seconds)) {
      std::fprintf(out, "%s\n", progress_line(r, stop).c_str());
      std::fflush(out);
      last_print = r.time_elapsed;
    }
    return true;
  });
}

}  // namespace cairn::cli
