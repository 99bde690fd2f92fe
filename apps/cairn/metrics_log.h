// MetricsLog: a run folder's per-iteration metrics, one row per training iteration in
// two files that grow as the run does:
//
//   <run>/metrics.csv     a header line (kMetricColumns), then one row per iteration;
//                         NaN metrics are empty fields, booleans are true/false
//   <run>/metrics.jsonl   one TrainResult::to_json() object per line
//
// Opening a log for a run at iteration k keeps the rows of iterations 1..k already in the
// files (a resumed run continues them) and drops the rest: rows of a later, abandoned
// continuation (resuming from an older checkpoint), a partly written last line (a crash
// while writing) and, for a fresh run (k = 0), everything. The header is written once.
// Each row is flushed as soon as it is appended, so a crash loses at most the row being
// written.
//
// The caller holds the run folder's lock (cairn/checkpoint/run_folder.h) while the log is open.
// Not thread-safe; one log per run folder.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/algorithms/algorithm.h"

namespace cairn::cli {

// The CSV columns of a run of an algorithm whose metrics are `metric_names`
// (AlgorithmInfo::metric_names), in order: the counters and episode means, the algorithm's
// metrics, then learning rate, speed and time.
std::vector<std::string> metric_columns(const std::vector<std::string>& metric_names);

class MetricsLog {
 public:
  // Opens (creating if needed) the two files in `run_dir` for a run whose last completed
  // iteration is `iteration`. Throws cairn::Error naming the file on I/O failure.
  // `columns` are metric_columns() of the run's algorithm; an existing file with another
  // header is refused.
  MetricsLog(const std::filesystem::path& run_dir, int64_t iteration,
             std::vector<std::string> columns);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Appends one row to each file and flushes both. Throws cairn::Error on I/O failure.
  void append(const TrainResult& result);

  const std::filesystem::path& csv_path() const { return csv_path_; }
  const std::filesystem::path& jsonl_path() const { return jsonl_path_; }

 private:
  std::filesystem::path csv_path_, jsonl_path_;
  std::vector<std::string> columns_;
  std::FILE* csv_ = nullptr;
  std::FILE* jsonl_ = nullptr;
};

}  // namespace cairn::cli
