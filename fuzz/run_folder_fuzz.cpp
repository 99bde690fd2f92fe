// libFuzzer target: the CLI's reading of a run folder (what `cairn inspect/eval/export RUN`,
// `cairn train --resume RUN` and `cairn plot RUN` read before any checksum can vouch for it).
//
// Input layout: u32 length + `latest`, u32 length + checkpoint_000001/cairn_checkpoint.json,
// u32 length + metrics.csv, and the rest as metrics.jsonl (little-endian lengths; a short
// input is padded with empty parts). The files are written into a scratch run folder,
// then read as the commands read them:
//   resolve_checkpoint (the `latest` marker), PPO::verify_checkpoint (the manifest: kind,
//   version, file list, policy list; its file list cannot name real files, so the deeper
//   state checks are left to checkpoint_fuzz and the tests), the manifest parser and policy
//   list directly (reached whatever the file list says), cairn plot's read_series, and the
//   MetricsLog that trims both metrics files on resume (at an iteration from the input).
//
// Property: every reader either succeeds or throws cairn::Error; anything else (another
// exception, a crash, a sanitizer report, a hang or unbounded allocation) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/error.h"
#include "checkpoint/manifest.h"
#include "fuzz_input.h"
#include "learning_curve.h"
#include "metrics_log.h"

namespace {

using cairn::fuzzing::take;

namespace fs = std::filesystem;

// Plain writes (no fsync): the files are scratch, and the fuzzer wants speed.
void write(const fs::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

const fs::path& run_folder() {
  static const fs::path run = [] {
    const fs::path p =
        fs::temp_directory_path() / ("cairn_run_folder_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p / "checkpoint_000001");
    return p;
  }();
  return run;
}

template <typename F>
void refused_or_fine(F&& read) {
  try {
    read();
  } catch (const cairn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> rest(data, size);
  const std::span<const uint8_t> latest = take(rest);
  const std::span<const uint8_t> manifest = take(rest);
  const std::span<const uint8_t> csv = take(rest);
  const fs::path& run = run_folder();
  const fs::path checkpoint = run / "checkpoint_000001";
  write(run / "latest", latest);
  write(checkpoint / "cairn_checkpoint.json", manifest);
  write(run / "metrics.csv", csv);
  write(run / "metrics.jsonl", rest);

  refused_or_fine([&] {
    const fs::path resolved = cairn::resolve_checkpoint(run);
    cairn::PPO::verify_checkpoint(resolved);
  });
  refused_or_fine([&] {
    const std::string file = (checkpoint / "cairn_checkpoint.json").string();
    const nlohmann::json m =
        cairn::read_manifest(checkpoint / "cairn_checkpoint.json", "cairn.algorithm_checkpoint");
    cairn::read_policy_ids(m, file);
  });
  refused_or_fine([&] { cairn::cli::read_series(run, {"episode_return_mean"}, std::nullopt); });
  // The iteration a resume would trim to: a few values around the rows' own.
  const int64_t iteration = size > 0 ? static_cast<int64_t>(data[size - 1] % 8) - 1 : 0;
  // The columns of a PPO run, as `cairn train` writes them (outside the refused-or-fine
  // check: an unknown algorithm would be a broken target, not a refused input).
  static const std::vector<std::string> columns =
      cairn::cli::metric_columns(cairn::algorithm_info("ppo").metric_names);
  refused_or_fine([&] { cairn::cli::MetricsLog log(run, iteration, columns); });
  return 0;
}
