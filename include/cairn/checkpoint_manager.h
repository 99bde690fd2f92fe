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
// Not thread-safe; one manager per run folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn {

class PPO;

struct RetentionPolicy {
  int64_t keep_last = 0;  // 0: keep every checkpoint
  int64_t keep_best = 0;
  std::string metric = "episode_return_mean";  // a field of the checkpoint's last result
};

class CheckpointManager {
 public:
  // Creates `run_dir` if needed. Throws cairn::Error if it cannot, or for negative counts.
  CheckpointManager(std::filesystem::path run_dir, RetentionPolicy retention = {});

  // Saves `ppo` as checkpoint_<iteration, 6 digits>, updates `latest`, applies
  // retention. Returns the checkpoint's path. Throws cairn::Error on I/O failure.
  std::filesystem::path save(PPO& ppo);

  // The checkpoints present (complete ones, by name), oldest first. Allocates.
  std::vector<std::filesystem::path> checkpoints() const;

  const std::filesystem::path& run_dir() const { return run_dir_; }

 private:
  void apply_retention(const std::filesystem::path& newest);

  std::filesystem::path run_dir_;
  RetentionPolicy retention_;
};

// The checkpoint a path designates: the path itself if it holds cairn_checkpoint.json,
// else the checkpoint named by its `latest` marker. Throws cairn::Error naming the path
// when neither applies or the marker names a missing checkpoint.
std::filesystem::path resolve_checkpoint(const std::filesystem::path& path);

}  // namespace cairn
