#include "cairn/checkpoint_manager.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cairn/algorithms/ppo.h"
#include "cairn/atomic_file.h"
#include "cairn/error.h"
#include "cairn/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLatest = "latest";
constexpr const char* kPrefix = "checkpoint_";

bool is_checkpoint_name(const std::string& name) {
  if (name.rfind(kPrefix, 0) != 0 || name.size() == std::string(kPrefix).size()) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(std::string(kPrefix).size()),
                     name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The metric a checkpoint was saved with (-inf when missing: such checkpoints rank last).
double metric_of(const fs::path& checkpoint, const std::string& metric) {
  std::ifstream in(checkpoint / "cairn_checkpoint.json");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("last_result") || !j["last_result"].contains(metric) ||
      !j["last_result"][metric].is_number()) {
    return -INFINITY;
  }
  return j["last_result"][metric].get<double>();
}

constexpr const char* kDeleting = ".deleting-";

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

}  // namespace

CheckpointManager::CheckpointManager(fs::path run_dir, RetentionPolicy retention)
    : run_dir_(std::move(run_dir)), retention_(std::move(retention)) {
  if (retention_.keep_last < 0 || retention_.keep_best < 0) {
    throw Error("CheckpointManager: keep_last and keep_best must not be negative");
  }
  std::error_code ec;
  fs::create_directories(run_dir_, ec);
  if (ec || !fs::is_directory(run_dir_)) {
    throw Error("cannot create run folder '" + run_dir_.string() + "': " + ec.message());
  }
  // Finish deletions a crash interrupted.
  for (const fs::directory_entry& e : fs::directory_iterator(run_dir_)) {
    if (e.path().filename().string().rfind(kDeleting, 0) == 0) fs::remove_all(e.path(), ec);
  }
}

std::vector<fs::path> CheckpointManager::checkpoints() const {
  std::vector<fs::path> out;
  for (const fs::directory_entry& e : fs::directory_iterator(run_dir_)) {
    if (e.is_directory() && is_checkpoint_name(e.path().filename().string()) &&
        fs::exists(e.path() / "cairn_checkpoint.json")) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path CheckpointManager::save(PPO& ppo) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%06lld", kPrefix, static_cast<long long>(ppo.iteration()));
  const fs::path path = run_dir_ / name;
  ppo.save_checkpoint(path, /*overwrite=*/true);
  write_file_atomically(run_dir_ / kLatest, std::string(name) + "\n");
  apply_retention(path);
  return path;
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
    for (const fs::path& p : all) ranked.emplace_back(metric_of(p, retention_.metric), p);
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
  if (present(path / "cairn_checkpoint.json")) return path;
  if (!present(path / kLatest)) {
    throw Error("'" + path.string() +
                "' is neither a checkpoint (no cairn_checkpoint.json) nor a run "
                "folder (no 'latest' marker)");
  }
  // Bounded and regular files only: `latest` could be a pipe, /dev/zero or garbage.
  const std::string text = read_text_file(path / kLatest, kMaxMarkerFileBytes, "a 'latest' marker");
  const std::string name = text.substr(0, text.find('\n'));
  if (!is_checkpoint_name(name)) {
    throw Error("'" + (path / kLatest).string() + "' does not name a checkpoint (holds " +
                excerpt(text) + ")");
  }
  if (!present(path / name / "cairn_checkpoint.json")) {
    throw Error("'" + (path / kLatest).string() + "' names '" + name + "', which is missing");
  }
  return path / name;
}

}  // namespace cairn
