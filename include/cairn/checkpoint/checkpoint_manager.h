// CheckpointManager: a run folder's checkpoints, their retention and the `latest`
// marker.
//
//   <run>/checkpoint_000010/   one algorithm checkpoint per saved iteration
//   <run>/latest               the name of the newest complete checkpoint (one line)
//
// save() writes the checkpoint atomically, then replaces `latest` atomically, then
// deletes the checkpoints retention no longer keeps: the newest `keep_last` (0: all),
// plus the `keep_best` with the highest `metric` (from each checkpoint's last result),
// and never the newest. A crash at any point leaves complete checkpoints only; at
// worst `latest` still names the previous one.
//
// A manager holds the run folder's RunLock (cairn/checkpoint/run_folder.h) for its lifetime, so a
// second writer is refused at once, and it removes the debris killed writers left when
// it opens the folder. It never overwrites or deletes another run's checkpoints: a
// checkpoint belongs to this run when its config equals the run's (a run is determined
// by its config, seed included), and save() refuses a folder holding checkpoints of
// another config. Keep-best ranks only finite metrics; a checkpoint whose metric is
// missing or not finite is never kept as one of the best.
//
// The manager knows checkpoints as folders with a manifest, not algorithms: a
// CheckpointWriter says which iteration it saves, how to write the folder and which
// manifests are its run's. save(Algorithm&) builds that writer for an algorithm of the
// frame and is defined with the frame (src/algorithms/run_checkpoint.cpp), so this area
// does not depend on the algorithms.
//
// Not thread-safe; one manager per run folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cairn/checkpoint/run_folder.h"

namespace cairn {

class Algorithm;

struct RetentionPolicy {
  int64_t keep_last = 0;  // 0: keep every checkpoint
  int64_t keep_best = 0;
  std::string metric = "episode_return_mean";  // a field of the checkpoint's last result
};

// One checkpoint to save: what save() needs to know of the run that writes it.
struct CheckpointWriter {
  int64_t iteration = 0;  // names the folder checkpoint_<iteration, 6 digits>
  // Whether a checkpoint whose manifest (cairn_checkpoint.json, parsed) is `manifest` was
  // written by this run. A cairn::Error thrown here counts as "not this run".
  std::function<bool(const nlohmann::json& manifest)> same_run;
  // Writes the checkpoint folder `dir` atomically, replacing what is there.
  std::function<void(const std::filesystem::path& dir)> write;
};

class CheckpointManager {
 public:
  // Opens `run_dir` with open_run_folder(run_dir, RunFolderUse::kContinueRun): creates
  // it if needed, takes its lock and removes debris. Throws cairn::Error if it cannot,
  // if another writer holds the lock (naming its pid), or for negative counts.
  CheckpointManager(std::filesystem::path run_dir, RetentionPolicy retention = {});
  // Uses a folder already opened (open_run_folder), keeping its lock.
  CheckpointManager(RunLock lock, RetentionPolicy retention = {});

  // Saves `algorithm` as checkpoint_<iteration, 6 digits>, updates `latest`, applies
  // retention. Returns the checkpoint's path. An existing checkpoint of the same name is
  // replaced (atomically) only when it belongs to this run. Throws cairn::Error on I/O
  // failure, or naming the checkpoint when the folder holds a checkpoint of another run
  // (nothing is written then).
  std::filesystem::path save(Algorithm& algorithm);
  // The same for any writer: checkpoint_<writer.iteration>, written by writer.write, with
  // writer.same_run deciding which existing checkpoints are this run's. Throws as above,
  // and cairn::Error when same_run or write is empty.
  std::filesystem::path save(const CheckpointWriter& writer);

  // The checkpoints present (complete ones, by name), oldest first. Allocates. Throws
  // cairn::Error naming the run folder if it cannot be listed.
  std::vector<std::filesystem::path> checkpoints() const;

  const std::filesystem::path& run_dir() const { return run_dir_; }

 private:
  void apply_retention(const std::filesystem::path& newest);
  void refuse_other_runs(const CheckpointWriter& writer, const std::filesystem::path& target);

  RunLock lock_;
  std::filesystem::path run_dir_;
  RetentionPolicy retention_;
  bool folder_checked_ = false;  // every checkpoint present was found to be this run's
};

// The checkpoint a path designates: the path itself if it holds cairn_checkpoint.json,
// else the checkpoint named by its `latest` marker. Throws cairn::Error naming the path
// when neither applies or the marker names a missing checkpoint.
std::filesystem::path resolve_checkpoint(const std::filesystem::path& path);

}  // namespace cairn
