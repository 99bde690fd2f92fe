#include "metrics_log.h"

#include <cerrno>
#include <cstring>

#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/io/text_file.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The iteration a row records (its first field/key), or -1 if it has none.
int64_t csv_iteration(const std::string& line) {
  try {
    size_t used = 0;
    const int64_t it = std::stoll(line.substr(0, line.find(',')), &used);
    return used > 0 ? it : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

int64_t jsonl_iteration(const std::string& line) {
  json j;
  try {
    j = parse_json_strictly(line, "metrics row");
  } catch (const Error&) {
    return -1;  // not a row cairn wrote: it and what follows are dropped
  }
  if (!j.is_object() || !j.contains("iteration") || !j["iteration"].is_number_integer()) {
    return -1;
  }
  return j["iteration"].get<int64_t>();
}

std::string csv_header(const std::vector<std::string>& columns) {
  std::string h;
  for (const std::string& c : columns) {
    if (!h.empty()) h += ',';
    h += c;
  }
  return h;
}

// Keeps the first line (the header) when `header` is set and the rows of iterations
// 1..iteration, rewriting the file only when something is dropped; opens it for appending.
std::FILE* open_trimmed(const fs::path& path, int64_t iteration, const std::string* header,
                        int64_t (*row_iteration)(const std::string&)) {
  // Bounded lines of a regular file only: the run folder may hold anything.
  std::vector<std::string> lines = read_complete_lines(path, kMaxTextLineBytes);
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) size = 0;  // no file yet
  std::vector<std::string> kept;
  size_t bytes = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool is_header = header != nullptr && i == 0;
    if (!is_header) {
      const int64_t it = row_iteration(lines[i]);
      if (it < 1 || it > iteration) break;  // the rest belongs to an abandoned run
    }
    kept.push_back(lines[i]);
    bytes += lines[i].size() + 1;
  }
  if (header != nullptr && !kept.empty() && kept[0] != *header) {
    throw Error("'" + path.string() +
                "' has a different header than cairn writes: " + excerpt(kept[0]));
  }
  if (bytes != size) {
    // Atomically (temporary sibling, renamed over): a crash keeps the old rows or the
    // trimmed ones, and the temporary's name is one the run folder's debris removal knows.
    AtomicFileWriter out(path);
    for (const std::string& l : kept) {
      out.write(l);
      out.write("\n");
    }
    out.commit();
  }
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) {
    throw Error("cannot open '" + path.string() + "' for appending: " + std::strerror(errno));
  }
  if (header != nullptr && kept.empty()) {
    if (std::fprintf(f, "%s\n", header->c_str()) < 0 || std::fflush(f) != 0) {
      const int error_number = errno;
      std::fclose(f);
      throw Error("cannot write '" + path.string() + "': " + std::strerror(error_number));
    }
  }
  return f;
}

void write_line(std::FILE* f, const fs::path& path, const std::string& line) {
  if (std::fputs(line.c_str(), f) < 0 || std::fputc('\n', f) == EOF || std::fflush(f) != 0) {
    throw Error("cannot write '" + path.string() + "': " + std::strerror(errno));
  }
}

}  // namespace

std::vector<std::string> metric_columns(const std::vector<std::string>& metric_names) {
  std::vector<std::string> c = {"iteration",          "timesteps",           "episodes",
                                "episodes_this_iter", "episode_return_mean", "episode_length_mean"};
  c.insert(c.end(), metric_names.begin(), metric_names.end());
  for (const char* name : {"learning_rate", "steps_per_second", "time_elapsed"})
    c.emplace_back(name);
  return c;
}

MetricsLog::MetricsLog(const fs::path& run_dir, int64_t iteration, std::vector<std::string> columns)
    : csv_path_(run_dir / "metrics.csv"),
      jsonl_path_(run_dir / "metrics.jsonl"),
      columns_(std::move(columns)) {
  const std::string header = csv_header(columns_);
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) throw Error("cannot create run folder '" + run_dir.string() + "': " + ec.message());
  csv_ = open_trimmed(csv_path_, iteration, &header, csv_iteration);
  try {
    jsonl_ = open_trimmed(jsonl_path_, iteration, /*header=*/nullptr, jsonl_iteration);
  } catch (...) {
    std::fclose(csv_);
    throw;
  }
}

MetricsLog::~MetricsLog() {
  if (csv_) std::fclose(csv_);
  if (jsonl_) std::fclose(jsonl_);
}

void MetricsLog::append(const TrainResult& result) {
  const json j = result.to_json();
  std::string row;
  for (const std::string& c : columns_) {
    if (!row.empty()) row += ',';
    if (!j.contains(c)) {
      throw Error("cannot write '" + csv_path_.string() + "': the result lacks metric '" + c + "'");
    }
    const json& v = j.at(c);
    if (!v.is_null()) row += v.dump();
  }
  write_line(csv_, csv_path_, row);
  write_line(jsonl_, jsonl_path_, j.dump());
}

}  // namespace cairn::cli
