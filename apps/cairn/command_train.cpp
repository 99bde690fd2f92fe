// `cairn train`: any registered algorithm from the command line, with run folders,
// checkpoints, metrics and resuming.
#include <cstdio>

#include "arguments.h"
#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/checkpoint/run_folder.h"
#include "cairn/distributed/communicator.h"
#include "cairn/env/env_registry.h"
#include "cairn/error.h"
#include "commands.h"
#include "learning_curve.h"
#include "metrics_log.h"
#include "training_run.h"

namespace cairn::cli {
namespace {

const std::vector<FlagSpec> kTrainFlags = {
    {"algo", true, "NAME",
     "the algorithm: ppo (default), sac, td3, dqn, ... (with --resume:\n"
     "                           the checkpoint's)"},
    {"env", true, "ID",
     "environment id (default: the config file's, else the algorithm's default)"},
    {"config", true, "FILE", "config as JSON (keys of 'cairn config show ALGO')"},
    {"set", true, "KEY=VALUE", "override one config key (repeatable)", /*repeatable=*/true},
    {"seed", true, "N", "seed of the run"},
    {"stop-reward", true, "R", "stop when the mean return of the last 100 episodes reaches R"},
    {"stop-timesteps", true, "N", "stop after N environment steps (default: total_timesteps)"},
    {"stop-iters", true, "N", "stop after N iterations"},
    {"stop-seconds", true, "S", "stop after S seconds of training"},
    {"eval-episodes", true, "N",
     "deterministic evaluation episodes at the end (default 100; 0: none)"},
    {"out", true, "DIR",
     std::string("run folder for checkpoints, ") + kMetricsCsvFile + ", " + kMetricsJsonlFile +
         " and learning_curve.svg;\n"
         "                           refused if it holds another run (with --resume: default\n"
         "                           the checkpoint's run folder)"},
    {"overwrite", false, "",
     "replace the run --out DIR holds (atomically: the old run is removed, never mixed)"},
    {"checkpoint-every", true, "K",
     "save a checkpoint every K iterations (default: only at the end)"},
    {"keep", true, "N", "keep the newest N checkpoints (default: all)"},
    {"keep-best", true, "N",
     "also keep the N checkpoints with the best (finite) mean return; needs --keep"},
    {"resume", true, "CHECKPOINT", "continue a run from a checkpoint (or a run folder's latest)"},
    {"quiet", false, "", "no progress output"},
    {"json", false, "", "print one JSON object as the result"},
    {"help", false, "", "show this help"},
};

StopConditions stop_conditions(const Arguments& args, const nlohmann::json& config) {
  StopConditions stop;
  stop.timesteps =
      args.integer_or("stop-timesteps", config.at("total_timesteps").get<int64_t>(), 1, INT64_MAX);
  if (args.has("stop-iters")) stop.iterations = args.integer_or("stop-iters", 0, 1, INT64_MAX);
  if (args.has("stop-seconds")) stop.seconds = args.positive_number_or("stop-seconds", 0);
  if (args.has("stop-reward")) stop.mean_return = args.number_or("stop-reward", 0);
  return stop;
}

}  // namespace

int run_train(int argc, char** argv, int first) {
  Arguments args("train", kTrainFlags, argc, argv, first);
  if (args.has("help")) {
    std::fputs(
        help_text(
            "cairn train [--algo NAME] [--env ID] [--config FILE] [--set KEY=VALUE]... [--seed N] "
            "[stop "
            "options]\n"
            "                   [--out DIR [--overwrite] [--checkpoint-every K] [--keep N] "
            "[--keep-best N]] [--json]\n"
            "       cairn train --resume CHECKPOINT [--out DIR [--overwrite]] [stop options] "
            "[--json]",
            std::string("Trains an algorithm, printing progress (one updating line on a terminal,\n"
                        "else a line at most every second), then evaluates the policy\n"
                        "deterministically. Stop conditions count over the whole run, across\n"
                        "resumes. With a run folder, every iteration's metrics are appended to ") +
                kMetricsCsvFile + " and " + kMetricsJsonlFile +
                " and\n"
                "the learning curve is drawn at the end (see 'cairn plot'). A run folder is\n"
                "locked while it is written and holds one run: --out on a folder holding a run\n"
                "is refused (resume it with --resume DIR, or replace it with --overwrite).",
            kTrainFlags)
            .c_str(),
        stdout);
    return 0;
  }
  if (!args.positional().empty()) throw Error("unexpected argument '" + args.positional()[0] + "'");
  const int64_t eval_episodes = args.integer_or("eval-episodes", 100, 0, 1000000);
  const int64_t every = args.integer_or("checkpoint-every", 0, 1, INT64_MAX);
  const RetentionPolicy retention{.keep_last = args.integer_or("keep", 0, 1, INT64_MAX),
                                  .keep_best = args.integer_or("keep-best", 0, 1, INT64_MAX)};
  if (args.has("keep-best") && !args.has("keep")) {
    throw Error("--keep-best needs --keep N (without --keep every checkpoint is kept)");
  }
  const bool json = args.has("json");
  const bool overwrite = args.has("overwrite");
  // Distributed (mpirun -np N cairn train ...; docs/distributed.md): every rank trains the
  // same run on its share of the environments; rank 0 alone holds the run folder, writes
  // checkpoints and metrics, prints and evaluates.
  distributed::Communicator& world = distributed::world();
  const bool leader = world.rank() == 0;

  std::unique_ptr<Algorithm> algorithm;
  std::optional<std::filesystem::path> run_dir;
  if (args.has("out")) run_dir = *args.get("out");
  // The run folder is locked before a checkpoint is loaded or anything is written, so a second
  // writer is refused at once; a fresh run's config is checked before a folder is replaced.
  std::optional<RunLock> lock;
  StopConditions stop;
  if (args.has("resume")) {
    for (const char* flag : {"algo", "env", "config", "set", "seed"}) {
      if (args.has(flag))
        throw Error(std::string("--") + flag + " cannot be combined with --resume");
    }
    const std::filesystem::path checkpoint = resolve_checkpoint(*args.get("resume"));
    const std::filesystem::path own_folder = checkpoint.parent_path();
    std::error_code ec;
    const bool continuing = !run_dir || std::filesystem::equivalent(*run_dir, own_folder, ec);
    if (!run_dir) run_dir = own_folder;
    if (continuing && overwrite) {
      throw Error("--overwrite would delete the run being resumed ('" + run_dir->string() +
                  "'); resume without it, or resume into another --out DIR");
    }
    if (leader) {
      lock = open_run_folder(*run_dir, continuing  ? RunFolderUse::kContinueRun
                                       : overwrite ? RunFolderUse::kReplaceRun
                                                   : RunFolderUse::kNewRun);
    }
    nlohmann::json manifest;  // verified once, by the restore
    algorithm = restore_algorithm(checkpoint, &manifest);
    stop = stop_conditions(args, algorithm->config_json());
    if (!manifest.value("complete", true) && !json && leader) {
      std::printf(
          "note: %s was saved without part of the training state (%s), so this resumed run\n"
          "      is not bit-identical to one that never stopped\n",
          checkpoint.c_str(), "such as the replay buffer");
    }
  } else {
    if (overwrite && !run_dir) throw Error("--overwrite needs --out DIR (the folder to replace)");
    if ((args.has("checkpoint-every") || args.has("keep") || args.has("keep-best")) && !run_dir) {
      throw Error("--checkpoint-every, --keep and --keep-best need --out DIR");
    }
    std::optional<uint64_t> seed;
    if (args.has("seed")) seed = static_cast<uint64_t>(args.integer_or("seed", 0, 0, INT64_MAX));
    const std::string name = args.get_or("algo", "ppo");
    algorithm = make_algorithm(
        name, resolve_config(name, args.get("env"), args.get("config"), args.get_all("set"), seed));
    stop = stop_conditions(args, algorithm->config_json());
    if (run_dir && leader) {
      lock =
          open_run_folder(*run_dir, overwrite ? RunFolderUse::kReplaceRun : RunFolderUse::kNewRun);
    }
  }
  const nlohmann::json config = algorithm->config_json();
  std::optional<CheckpointManager> checkpoints;
  std::optional<MetricsLog> metrics;
  if (lock) {
    checkpoints.emplace(std::move(*lock), retention);
    metrics.emplace(*run_dir, algorithm->iteration(),
                    metric_columns(algorithm_info(algorithm->name()).metric_names));
  }
  std::filesystem::path last_checkpoint;
  const ProgressOptions progress{
      .style = progress_style_for(stdout, json || args.has("quiet") || !leader)};
  if (world.size() > 1 && leader && !json && !args.has("quiet")) {
    std::printf("distributed: %d ranks (%s), %lld environments\n", world.size(),
                world.description().c_str(),
                static_cast<long long>(config.value("num_envs", int64_t{1})));
  }
  const std::vector<TrainResult> results =
      train_with_progress(*algorithm, stop, progress, stdout, [&](const TrainResult& r) {
        if (metrics) metrics->append(r);
        if (run_dir && ((every > 0 && r.iteration % every == 0) || stop.met(r))) {
          if (checkpoints) {
            last_checkpoint = checkpoints->save(*algorithm);
          } else {
            algorithm->save_checkpoint(*run_dir);  // another rank's part: writes nothing
          }
        }
      });
  if (!leader) return 0;
  nlohmann::json out = {
      {"algorithm", algorithm->name()},
      {"config", config},
      {"final", results.empty() ? algorithm->last_result().to_json() : results.back().to_json()},
      {"ranks", world.size()}};
  if (!last_checkpoint.empty()) {
    out["checkpoint"] = last_checkpoint.string();
    if (!json) std::printf("checkpoint: %s\n", last_checkpoint.c_str());
  }
  if (metrics) {
    out["metrics"] = {{"csv", metrics->csv_path().string()},
                      {"jsonl", metrics->jsonl_path().string()}};
    const std::vector<Series> series = read_series(*run_dir, {"episode_return_mean"});
    const PlotFiles plot = write_learning_curve(series, *run_dir / "learning_curve.svg");
    nlohmann::json p = plot_json(plot, series);
    p.erase("series");
    out["plot"] = p;
    if (!json) {
      std::printf("metrics: %s, %s\n", metrics->csv_path().c_str(), metrics->jsonl_path().c_str());
      std::printf("plot: %s%s\n", plot.svg.c_str(),
                  plot.png ? (" and " + plot.png->string()).c_str() : " (png skipped)");
    }
  }
  if (eval_episodes > 0) {
    const EvaluationResult e = algorithm->evaluate(eval_episodes, true);
    out["evaluation"] = e.to_json();
    if (!json) {
      std::printf(
          "evaluation: %lld deterministic episodes, mean return %.2f (min %.2f, max %.2f)\n",
          static_cast<long long>(eval_episodes), e.mean_return, e.min_return, e.max_return);
    }
  }
  if (json) std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace cairn::cli
