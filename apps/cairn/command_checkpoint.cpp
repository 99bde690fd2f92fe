// `cairn eval` and `cairn inspect`: what is in a checkpoint, and how its policy acts.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "arguments.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/io/text_file.h"
#include "commands.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// An algorithm checkpoint, a policy folder, or a run folder (its latest checkpoint).
struct Target {
  fs::path path;                    // the checkpoint or policy folder
  bool algorithm = false;           // an algorithm checkpoint
  std::optional<PPOConfig> config;  // the config of the algorithm checkpoint holding the policy
  json manifest;                    // the verified cairn_checkpoint.json (algorithm checkpoints)
};

bool entry_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// The config of a verified algorithm checkpoint manifest.
PPOConfig config_of(const json& manifest, const fs::path& file) {
  try {
    return PPOConfig::from_json(manifest.at("config"));
  } catch (const Error& e) {
    throw Error(file.string() + ": field 'config': " + e.what());
  }
}

Target resolve(const std::string& given) {
  const fs::path p(given);
  require_path(p, "path");
  if (entry_exists(p / "cairn_policy.json")) {
    Target t{p, false, std::nullopt, json()};
    // A policy folder inside an algorithm checkpoint knows its environment from there.
    const fs::path owner = p.parent_path().parent_path();
    if (p.parent_path().filename() == "policies" && entry_exists(owner / "cairn_checkpoint.json")) {
      t.config = config_of(PPO::verify_checkpoint(owner), owner / "cairn_checkpoint.json");
    }
    return t;
  }
  const fs::path checkpoint = resolve_checkpoint(p);
  // Verified as resuming would verify it (files, config, policy list, state).
  json manifest = PPO::verify_checkpoint(checkpoint);
  PPOConfig config = config_of(manifest, checkpoint / "cairn_checkpoint.json");
  return {checkpoint, true, std::move(config), std::move(manifest)};
}

const std::vector<FlagSpec> kEvalFlags = {
    {"policy", true, "ID", "policy id inside an algorithm checkpoint (default default_policy)"},
    {"episodes", true, "N", "episodes (default 100)"},
    {"seed", true, "N", "episode i is reset with seed N + i (default 0)"},
    {"env", true, "ID", "environment (default: the checkpoint's)"},
    {"explore", false, "", "sample actions instead of taking the deterministic mode"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

const std::vector<FlagSpec> kInspectFlags = {
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

json policy_summary(const fs::path& folder, const PolicyRestoreReport& report,
                    const Policy& policy) {
  size_t bytes = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const uintmax_t size = it->file_size(ec);
    if (!ec) bytes += static_cast<size_t>(size);
  }
  return {{"folder", folder.string()},
          {"observation_space", policy.observation_space().to_string()},
          {"action_space", policy.action_space().to_string()},
          {"distribution", to_string(policy.distribution().kind())},
          {"parameters", policy.model().num_parameters() + policy.log_std().size()},
          {"parameter_tensors", policy.model().parameters().size()},
          {"observation_normalization", policy.observation_statistics() != nullptr},
          {"bytes", bytes},
          {"checksums_verified", true},
          {"example_verified", report.example_checked},
          {"example_bit_identical", report.bit_identical},
          {"example_max_deviation", report.max_abs_deviation}};
}

}  // namespace

int run_eval(int argc, char** argv, int first) {
  Arguments args("eval", kEvalFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text(
            "cairn eval PATH [--policy ID] [--episodes N] [--seed N] [--env ID] [--explore] "
            "[--json]",
            "Restores a policy alone (from an algorithm checkpoint, a run folder or a policy\n"
            "folder) and evaluates it on its environment.",
            kEvalFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  const Target target = resolve(args.positional()[0]);
  PolicyRestoreOptions options;
  options.policy_id = args.get_or("policy", "default_policy");
  PolicyRestoreReport report;
  std::unique_ptr<Policy> policy = Policy::from_checkpoint(target.path, options, &report);

  std::string env_id;
  json env_options = json::object();
  if (args.has("env")) {
    env_id = *args.get("env");
  } else if (target.config) {
    env_id = target.config->env_id;
    env_options = target.config->env_options;
  } else {
    throw Error("'" + target.path.string() + "' is a standalone policy folder: give --env ID");
  }
  const int64_t episodes = args.integer_or("episodes", 100, 1, 100000000);
  const uint64_t seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
  const bool explore = args.has("explore");
  auto env = make(env_id, env_options);
  if (!(env->observation_space() == policy->observation_space()) ||
      !(env->action_space() == policy->action_space())) {
    throw Error("environment '" + env_id + "' has spaces " + env->observation_space().to_string() +
                " / " + env->action_space().to_string() + ", the policy expects " +
                policy->observation_space().to_string() + " / " +
                policy->action_space().to_string());
  }
  Rng rng = Rng::stream(seed, 7);
  std::vector<float> obs(env->observation_space().size());
  std::vector<double> returns;
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < episodes; ++i) {
    env->reset(std::span<float>(obs), seed + static_cast<uint64_t>(i));
    double ret = 0;
    int64_t len = 0;
    for (;;) {
      const StepResult s = env->step(policy->compute_action(obs, explore, rng), obs);
      ++len;
      if (!std::isfinite(s.reward)) {  // a NaN return would be printed as a score
        throw Error("environment '" + env_id + "' returned a non-finite reward (" +
                    std::to_string(s.reward) + ") at step " + std::to_string(len) + " of episode " +
                    std::to_string(i + 1));
      }
      ret += s.reward;
      if (s.terminated || s.truncated) break;
    }
    returns.push_back(ret);
    lengths.push_back(len);
  }
  const double n = static_cast<double>(episodes);
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / n;
  double var = 0;
  for (double r : returns) var += (r - mean) * (r - mean);
  const json out = {
      {"path", target.path.string()},
      {"env", env_id},
      {"episodes", episodes},
      {"deterministic", !explore},
      {"mean_return", mean},
      {"std_return", std::sqrt(var / n)},
      {"min_return", *std::min_element(returns.begin(), returns.end())},
      {"max_return", *std::max_element(returns.begin(), returns.end())},
      {"mean_length",
       static_cast<double>(std::accumulate(lengths.begin(), lengths.end(), int64_t{0})) / n},
      {"example_bit_identical", report.bit_identical}};
  if (args.has("json")) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("policy %s restored alone (checksums verified, example %s)\n",
                report.folder.c_str(),
                report.bit_identical ? "reproduced bit for bit" : "reproduced within tolerance");
    std::printf(
        "%s: %lld %s episodes, mean return %.2f +- %.2f (min %.2f, max %.2f), mean length %.1f\n",
        env_id.c_str(), static_cast<long long>(episodes), explore ? "sampled" : "deterministic",
        mean, out["std_return"].get<double>(), out["min_return"].get<double>(),
        out["max_return"].get<double>(), out["mean_length"].get<double>());
  }
  return 0;
}

int run_inspect(int argc, char** argv, int first) {
  Arguments args("inspect", kInspectFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn inspect PATH [--json]",
                  "Describes a checkpoint, run folder or policy folder and verifies its checksums\n"
                  "and recorded examples.",
                  kInspectFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (args.positional().size() != 1) throw Error("expected one PATH (see --help)");
  const Target target = resolve(args.positional()[0]);
  json out = {{"path", target.path.string()}};
  std::vector<std::string> ids = {"default_policy"};
  if (target.algorithm) {
    // resolve() verified every file, the config, the policy list and the algorithm state,
    // as resuming would (restoring the algorithm would also build its environments).
    const json& m = target.manifest;
    out["kind"] = m["kind"];
    out["format_version"] = m["format_version"];
    out["cairn_version"] = m.value("cairn_version", "unknown");
    out["algorithm"] = m["algorithm"];
    out["env_id"] = target.config->env_id;
    out["counters"] = m["counters"];
    out["environment_state_saved"] = m["environment_state_saved"];
    ids = m["policy_ids"].get<std::vector<std::string>>();
    size_t bytes = 0;
    for (const auto& [name, entry] : m["files"].items()) bytes += entry["bytes"].get<size_t>();
    out["bytes"] = bytes;
    out["checksums_verified"] = true;
  }
  json policies = json::object();
  for (const std::string& id : ids) {
    PolicyRestoreOptions options;
    options.policy_id = id;
    PolicyRestoreReport report;
    std::unique_ptr<Policy> policy = Policy::from_checkpoint(target.path, options, &report);
    policies[id] = policy_summary(report.folder, report, *policy);
    if (!target.algorithm) {
      // Read from the manifest the restore just checked.
      out["kind"] = "cairn.policy";
      out["format_version"] = report.format_version;
      out["cairn_version"] = report.cairn_version;
    }
  }
  out["policies"] = policies;
  if (args.has("json")) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%s\n  kind %s, format version %lld, written by cairn %s\n", target.path.c_str(),
              out["kind"].get<std::string>().c_str(),
              static_cast<long long>(out["format_version"].get<int64_t>()),
              out["cairn_version"].get<std::string>().c_str());
  if (target.algorithm) {
    const json& c = out["counters"];
    std::printf(
        "  algorithm %s on %s: iteration %lld, %lld timesteps, %lld episodes, %.2f s of training\n",
        out["algorithm"].get<std::string>().c_str(), out["env_id"].get<std::string>().c_str(),
        static_cast<long long>(c.value("iteration", int64_t{0})),
        static_cast<long long>(c.value("timesteps", int64_t{0})),
        static_cast<long long>(c.value("episodes", int64_t{0})), c.value("train_seconds", 0.0));
    std::printf("  %zu bytes in all; every checksum verified; environment state %s\n",
                out["bytes"].get<size_t>(),
                out["environment_state_saved"].get<bool>()
                    ? "saved"
                    : "not saved (episodes restart on resume)");
  }
  for (const auto& [id, p] : policies.items()) {
    std::printf(
        "  policy '%s': %s -> %s (%s), %zu parameters in %zu tensors, %zu bytes%s; example %s\n",
        id.c_str(), p["observation_space"].get<std::string>().c_str(),
        p["action_space"].get<std::string>().c_str(), p["distribution"].get<std::string>().c_str(),
        p["parameters"].get<size_t>(), p["parameter_tensors"].get<size_t>(),
        p["bytes"].get<size_t>(),
        p["observation_normalization"].get<bool>() ? ", observation normalisation" : "",
        p["example_bit_identical"].get<bool>() ? "reproduced bit for bit"
                                               : "reproduced within tolerance");
  }
  return 0;
}

}  // namespace cairn::cli
