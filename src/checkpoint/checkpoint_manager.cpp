#include "cairn/checkpoint/checkpoint_manager.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/run_folder.h"
#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/io/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// The checkpoint's manifest, read as every untrusted file is (a regular file only, size
// bounded, strict JSON), or a discarded value when it cannot be read: retention and the
// run check then treat the checkpoint as belonging to no run and ranking last.
nlohmann::json manifest_of(const fs::path& checkpoint) {
  try {
    const fs::path path = checkpoint / kCheckpointManifestFile;
    return parse_json_strictly(read_text_file(path, kMaxJsonFileBytes, "a checkpoint manifest"),
                               path.string());
  } catch (const Error&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

// The metric a checkpoint was saved with, or nothing when it is missing or not finite:
// such a checkpoint is never ranked best (a diverged run's NaN or infinite scores must
// not push every good checkpoint out).
std::optional<double> metric_of(const fs::path& checkpoint, const std::string& metric) {
  const nlohmann::json j = manifest_of(checkpoint);
  if (j.is_discarded() || !j.is_object() || !j.contains("last_result") ||
      !j["last_result"].is_object() || !j["last_result"].contains(metric) ||
      !j["last_result"][metric].is_number()) {
    return std::nullopt;
  }
  const double value = j["last_result"][metric].get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// Whether a checkpoint was written by the writer's run. Unreadable checkpoints belong to no
// run.
bool belongs_to_run(const fs::path& checkpoint, const CheckpointWriter& writer) {
  const nlohmann::json j = manifest_of(checkpoint);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    return writer.same_run(j);
  } catch (const Error&) {
    return false;
  }
}

constexpr const char* kDeleting = ".deleting-";

std::string quoted_path(const fs::path& p) {
  return "'" + p.string() + "'";
}

// Deleting a folder file by file can be interrupted; renaming it away first means a crash
// leaves either the whole checkpoint under its name or none of it.
void remove_checkpoint(const fs::path& p) {
  const fs::path doomed = p.parent_path() / (std::string(kDeleting) + p.filename().string());
  std::error_code ec;
  fs::remove_all(doomed, ec);
  fs::rename(p, doomed, ec);
  if (ec) throw Error("cannot delete old checkpoint '" + p.string() + "': " + ec.message());
  fsync_directory(p.parent_path());
  fs::remove_all(doomed, ec);
  if (ec) throw Error("cannot delete old checkpoint '" + doomed.string() + "': " + ec.message());
}

const RetentionPolicy& checked(const RetentionPolicy& retention) {
  if (retention.keep_last < 0 || retention.keep_best < 0) {
    throw Error("CheckpointManager: keep_last and keep_best must not be negative");
  }
  return retention;
}

// The counts are checked before the folder is touched.
RunLock open_checked(const fs::path& run_dir, const RetentionPolicy& retention) {
  checked(retention);
  return open_run_folder(run_dir, RunFolderUse::kContinueRun);
}

}  // namespace

CheckpointManager::CheckpointManager(fs::path run_dir, RetentionPolicy retention)
    : CheckpointManager(open_checked(run_dir, retention), std::move(retention)) {}

CheckpointManager::CheckpointManager(RunLock lock, RetentionPolicy retention)
    : lock_(std::move(lock)), run_dir_(lock_.run_dir()), retention_(checked(retention)) {}

std::vector<fs::path> CheckpointManager::checkpoints() const {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(run_dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_directory(entry_ec) && is_checkpoint_folder_name(it->path().filename().string()) &&
        fs::exists(it->path() / kCheckpointManifestFile, entry_ec)) {
      out.push_back(it->path());
    }
  }
  if (ec) throw Error("cannot list run folder '" + run_dir_.string() + "': " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path CheckpointManager::save(const CheckpointWriter& writer) {
  if (!writer.same_run || !writer.write) {
    throw Error("CheckpointManager::save: the writer needs same_run and write");
  }
  char name[64];
  std::snprintf(name, sizeof name, "%s%06lld", kCheckpointFolderPrefix,
                static_cast<long long>(writer.iteration));
  const fs::path path = run_dir_ / name;
  refuse_other_runs(writer, path);
  writer.write(path);
  write_file_atomically(run_dir_ / kLatestFile, std::string(name) + "\n");
  apply_retention(path);
  return path;
}

void CheckpointManager::refuse_other_runs(const CheckpointWriter& writer, const fs::path& target) {
  auto refuse_unless_ours = [&](const fs::path& checkpoint) {
    if (belongs_to_run(checkpoint, writer)) return;
    throw Error("cannot save checkpoint " + quoted_path(target) + ": run folder " +
                quoted_path(run_dir_) + " holds " + quoted_path(checkpoint.filename()) +
                " of another run (a different config), which must not be overwritten or "
                "deleted; save this run into another folder");
  };
  if (!folder_checked_) {
    for (const fs::path& p : checkpoints()) refuse_unless_ours(p);
    folder_checked_ = true;
  }
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_empty(target, ec)) refuse_unless_ours(target);
}

void CheckpointManager::apply_retention(const fs::path& newest) {
  const std::vector<fs::path> all = checkpoints();
  if (retention_.keep_last == 0) return;
  std::vector<fs::path> keep;
  const size_t last = static_cast<size_t>(retention_.keep_last);
  for (size_t i = all.size() > last ? all.size() - last : 0; i < all.size(); ++i)
    keep.push_back(all[i]);
  if (retention_.keep_best > 0) {
    std::vector<std::pair<double, fs::path>> ranked;
    for (const fs::path& p : all) {
      if (const std::optional<double> m = metric_of(p, retention_.metric))
        ranked.emplace_back(*m, p);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(retention_.keep_best); ++i) {
      keep.push_back(ranked[i].second);
    }
  }
  keep.push_back(newest);
  for (const fs::path& p : all) {
    if (std::find(keep.begin(), keep.end(), p) == keep.end()) remove_checkpoint(p);
  }
}

fs::path resolve_checkpoint(const fs::path& path) {
  require_path(path, "checkpoint path");
  // symlink_status: a link in the way (even a looping one) counts as present, and the
  // reader it is handed to reports it by name.
  auto present = [](const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
  };
  if (present(path / kCheckpointManifestFile)) return path;
  if (!present(path / kLatestFile)) {
    throw Error("'" + path.string() + "' is neither a checkpoint (no " + kCheckpointManifestFile +
                ") nor a run folder (no '" + kLatestFile + "' marker)");
  }
  // Bounded and regular files only: `latest` could be a pipe, /dev/zero or garbage.
  const std::string text = read_text_file(path / kLatestFile, kMaxMarkerFileBytes,
                                          std::string("a '") + kLatestFile + "' marker");
  const std::string name = text.substr(0, text.find('\n'));
  if (!is_checkpoint_folder_name(name)) {
    throw Error("'" + (path / kLatestFile).string() + "' does not name a checkpoint (holds " +
                excerpt(text) + ")");
  }
  if (!present(path / name / kCheckpointManifestFile)) {
    throw Error("'" + (path / kLatestFile).string() + "' names '" + name + "', which is missing");
  }
  return path / name;
}

}  // namespace cairn
