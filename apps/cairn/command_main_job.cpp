// `cairn main-job`: PPO on CartPole-v1 until solved, with checkpoints; the policy restored
// alone and evaluated; exported to ONNX and C, each export proven.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "arguments.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/checkpoint/run_folder.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "commands.h"
#include "learning_curve.h"
#include "metrics_log.h"
#include "policy_export.h"
#include "training_run.h"

namespace cairn::cli {
namespace {

// Whether `run_dir` holds a run the main job wrote: its latest checkpoint verifies and was
// trained with the main job's config (CartPole-v1's preset; any seed). Anything else, or
// anything unreadable, is not one.
bool is_main_job_run(const std::filesystem::path& run_dir) {
  if (!holds_run(run_dir)) return false;
  try {
    const nlohmann::json manifest = PPO::verify_checkpoint(resolve_checkpoint(run_dir));
    if (algorithm_info(manifest["algorithm"].get<std::string>()).name != "ppo") return false;
    nlohmann::json saved = manifest["config"];
    nlohmann::json expected = ppo_preset("CartPole-v1").to_json();
    saved.erase("seed");
    expected.erase("seed");
    return saved == expected;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

int run_main_job(int argc, char** argv, int first) {
  const std::vector<FlagSpec> flags = {{"seed", true, "N", "seed (default 1)"},
                                       {"out", true, "DIR", "run folder (default runs/main-job)"},
                                       {"json", false, "", "print one JSON object as the result"},
                                       {"help", false, "", "show this help"}};
  Arguments args("main-job", flags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text("cairn main-job [--seed N] [--out DIR] [--json]",
                  "cairn's main job: trains PPO on CartPole-v1 with the tuned preset until the\n"
                  "mean return of the last 100 episodes reaches 475, checkpointing every 25\n"
                  "iterations and at the end; restores the policy alone from its folder and\n"
                  "evaluates it on 100 deterministic episodes; exports it to ONNX and C, each\n"
                  "proven against the policy (ONNX Runtime; the compiled C).",
                  flags)
            .c_str(),
        stdout);
    return 0;
  }
  PPOConfig config = ppo_preset("CartPole-v1");
  config.seed = static_cast<uint64_t>(args.integer_or("seed", 1, 0, INT64_MAX));
  const std::filesystem::path run_dir = args.get_or("out", "runs/main-job");
  const bool json = args.has("json");
  // Narration goes to stdout, or nowhere with --json (which prints one object at the end).
  auto say = [&](const char* format, auto... values) {
    if (!json) std::printf(format, values...);
  };
  say("cairn %s main job: PPO on CartPole-v1 (seed %llu), run folder %s\n\n", CAIRN_VERSION_STRING,
      static_cast<unsigned long long>(config.seed), run_dir.c_str());

  // 1. Train until solved, with checkpoints.
  PPO ppo(config);
  // Each main job is a fresh run. A previous main job in the folder is replaced atomically
  // (never mixed with this one); any other run there is refused, never deleted: --out may
  // name a folder the user trained in. The folder is locked while it is written.
  const RunFolderUse use =
      is_main_job_run(run_dir) ? RunFolderUse::kReplaceRun : RunFolderUse::kNewRun;
  CheckpointManager checkpoints(open_run_folder(run_dir, use), RetentionPolicy{.keep_last = 3});
  StopConditions stop;
  stop.mean_return = 475.0;
  stop.timesteps = config.total_timesteps;
  std::filesystem::path last;
  MetricsLog metrics(run_dir, 0, metric_columns(algorithm_info("ppo").metric_names));
  ProgressOptions progress{.style = progress_style_for(stdout, json)};
  progress.interval_seconds = 0.1;
  const std::vector<TrainResult> results =
      train_with_progress(ppo, stop, progress, stdout, [&](const TrainResult& r) {
        metrics.append(r);
        if (r.iteration % 25 == 0 || stop.met(r)) last = checkpoints.save(ppo);
      });
  const std::vector<Series> series = read_series(run_dir, {"episode_return_mean"});
  const PlotFiles plot = write_learning_curve(series, run_dir / "learning_curve.svg");
  const TrainResult& done = results.back();
  say("\n1. trained %lld steps in %.2f s (%.0f steps/s); mean return of the last 100 episodes "
      "%.1f\n",
      static_cast<long long>(done.timesteps), done.time_elapsed,
      static_cast<double>(done.timesteps) / done.time_elapsed, done.episode_return_mean);
  say("2. checkpoint %s (latest of %zu kept)\n", last.c_str(), checkpoints.checkpoints().size());

  // 2. The policy alone, from its folder: no algorithm, no training config.
  const std::filesystem::path policy_dir = last / kPoliciesFolder / kDefaultPolicyId;
  PolicyRestoreReport report;
  std::unique_ptr<Policy> policy =
      Policy::from_checkpoint(policy_dir, PolicyRestoreOptions(), &report);
  say("3. restored the policy alone from %s: checksums verified, recorded example %s\n",
      policy_dir.c_str(),
      report.bit_identical ? "reproduced bit for bit" : "reproduced within 1e-5");

  // 3. Evaluate the restored policy on a fresh environment.
  auto env = make("CartPole-v1");
  std::vector<float> obs(env->observation_space().size());
  double total = 0, worst = 1e300;
  for (uint64_t i = 0; i < 100; ++i) {
    env->reset(std::span<float>(obs), 1000 + i);
    double ret = 0;
    for (;;) {
      const StepResult s = env->step(policy->compute_action(obs), obs);
      ret += s.reward;
      if (s.terminated || s.truncated) break;
    }
    total += ret;
    worst = std::min(worst, ret);
  }
  say("4. the restored policy, 100 deterministic episodes: mean return %.2f (min %.2f)\n",
      total / 100.0, worst);

  // 4. Export, preprocessing and action selection included, each export proven.
  const ExportVerification onnx = export_policy_files(
      *policy, policy_dir, "onnx", run_dir / "export" / "policy.onnx", ExportSettings{});
  say("5. %s", onnx.summary().c_str());
  const ExportVerification c =
      export_policy_files(*policy, policy_dir, "c", run_dir / "export" / "c", ExportSettings{});
  say("6. %s", c.summary().c_str());
  const bool proven = onnx.verified() && c.verified();
  if (!proven)
    say("\nNOT every export could be verified: %s %s\n", onnx.reason.c_str(), c.reason.c_str());
  say("\nsolved in %.2f s of training; files in %s (checkpoints, export/policy.onnx, export/c/)\n",
      done.time_elapsed, run_dir.c_str());
  say("next: cairn inspect %s | cairn eval %s | cairn train --resume %s --stop-iters %lld\n",
      run_dir.c_str(), run_dir.c_str(), run_dir.c_str(),
      static_cast<long long>(done.iteration + 50));
  say("watch it: cairn render %s --out %s/cartpole.gif (or .mp4; docs/render.md)\n",
      run_dir.c_str(), run_dir.c_str());
  if (json) {
    nlohmann::json p = plot_json(plot, series);
    p.erase("series");
    const nlohmann::json out = {
        {"run_dir", run_dir.string()},
        {"final", done.to_json()},
        {"checkpoint", last.string()},
        {"policy_folder", policy_dir.string()},
        {"example_bit_identical", report.bit_identical},
        {"evaluation", {{"episodes", 100}, {"mean_return", total / 100.0}, {"min_return", worst}}},
        {"exports", {{"onnx", onnx.to_json()}, {"c", c.to_json()}}},
        {"plot", p},
        {"solved", total / 100.0 >= 475.0},
        {"exports_verified", proven}};
    std::printf("%s\n", out.dump().c_str());
  }
  return total / 100.0 >= 475.0 && proven ? 0 : 1;
}

}  // namespace cairn::cli
