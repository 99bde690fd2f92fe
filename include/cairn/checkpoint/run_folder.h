// A run folder: the folder one training run writes, and the lock that keeps it to one
// writer.
//
//   <run>/checkpoint_000010/   algorithm checkpoints (CheckpointManager)
//   <run>/latest               the name of the newest complete checkpoint
//   <run>/metrics.csv          per-iteration metrics (cairn train)
//   <run>/metrics.jsonl
//   <run>/learning_curve.svg   drawn from metrics.jsonl (and .png)
//   <run>/.lock                the writer's lock (RunLock); present once written
//
// A folder *holds a run* when it contains `latest`, a `checkpoint_<digits>` folder or
// `metrics.csv` / `metrics.jsonl`: the things another run would overwrite, delete or mix
// rows into. A run folder is written by one process at a time, the one holding its
// RunLock; readers (loading, inspecting, exporting, plotting) need no lock, because every
// file a writer replaces is replaced atomically.
//
// POSIX only (flock(2)). Functions throw cairn::Error naming the folder and the system's
// reason on failure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cairn {

// Whether `name` is a checkpoint folder's name: kCheckpointFolderPrefix followed by at
// least one digit and nothing else ("checkpoint_000010").
bool is_checkpoint_folder_name(std::string_view name);

// Whether `dir` holds a run (see above). False when `dir` does not exist. Throws
// cairn::Error if it exists but cannot be listed.
bool holds_run(const std::filesystem::path& dir);

enum class RunFolderUse {
  kNewRun,       // a fresh run: the folder must not hold a run
  kContinueRun,  // a resumed run (or a library user's own folder): what is there stays
  kReplaceRun,   // a fresh run that replaces the folder's run, if any
};

// The exclusive right to write a run folder: an flock(2) on `<run>/.lock`, which the
// kernel releases when the process dies, so a killed writer leaves no stale lock. The
// file records the holder's pid for the message another writer gets. Movable, not
// copyable; released by the destructor. The lock belongs to the open file, so two
// RunLocks on one folder exclude each other even inside one process.
class RunLock {
 public:
  // Creates `run_dir` (and its parents) if needed and takes its lock, failing at once if
  // another writer holds it. Throws cairn::Error naming the folder and the holder's pid
  // when it is held ("... is in use by process 1234 ..."), or naming the folder or the
  // lock file and the system's reason when either cannot be created (e.g. a read-only
  // folder).
  explicit RunLock(const std::filesystem::path& run_dir);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::filesystem::path& run_dir() const { return run_dir_; }

  // The pid recorded by the process holding `run_dir`'s lock, 0 if it is held but the
  // pid is not recorded yet, or nothing if no process holds it. When none holds it, the
  // test briefly takes a shared lock, so a writer starting at that very moment may be
  // refused: meant for messages and tests, not for polling beside live writers. Throws
  // nothing.
  static std::optional<long> holder(const std::filesystem::path& run_dir);

 private:
  friend RunLock open_run_folder(const std::filesystem::path&, RunFolderUse);
  std::filesystem::path run_dir_;
  int fd_ = -1;
};

// Opens `run_dir` for writing by this process: takes its RunLock (refusing at once when
// another writer holds it), then
//   kNewRun:      refuses (cairn::Error naming the folder, what it holds, and how to
//                 resume it or choose another) when the folder holds a run;
//   kContinueRun: accepts whatever the folder holds;
//   kReplaceRun:  when the folder holds a run, swaps it for an empty, locked folder in
//                 one rename (write_directory_atomically) and removes the old one, so a
//                 crash leaves the old run or the new one under the name, never a mix;
// and finally removes the debris killed writers leave (remove_run_folder_debris).
// Returns the lock; keep it for as long as the folder is written.
RunLock open_run_folder(const std::filesystem::path& run_dir, RunFolderUse use);

// Removes what a killed writer of the folder leaves behind, and nothing else: temporary
// checkpoint folders (`.checkpoint_<digits>.tmp-*`), checkpoints half deleted by retention
// (`.deleting-checkpoint_*`), and the temporaries of `latest`, the metrics files and the
// learning curve (`.latest.tmp-*`, `.metrics.csv.tmp-*`, ...). Only call it while holding
// the folder's lock (`lock`), so no live writer's temporary is taken. Returns how many
// entries it removed. Throws cairn::Error naming the entry if one cannot be removed.
int remove_run_folder_debris(const RunLock& lock);

}  // namespace cairn
