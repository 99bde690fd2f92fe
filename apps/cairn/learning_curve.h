// Learning curves: reading runs' metrics.jsonl and drawing them as an SVG written by
// hand (no dependencies), with a PNG next to it when a rasteriser is installed.
//
// The SVG has one panel per metric, stacked vertically, each with axes, ticks and
// labels ("timesteps" and the metric's name), and one <path class="series"> per run
// (data-run, data-metric attributes; one colour per run, the same in every panel),
// plus a legend with the run names. Each panel's <g class="panel"> carries its data
// ranges and pixel box (data-x-min/-max, data-y-min/-max, data-left/-right/-top/-bottom)
// so that a reader can map the path's points back to data.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cairn::cli {

// One run's values of one metric against timesteps, in iteration order. Rows whose value
// is null (NaN, e.g. a mean return before the first episode ends) are left out.
struct Series {
  std::string run;                                // the run's name in the legend: its folder's name
  std::string metric;                             // a key of TrainResult::to_json()
  std::vector<std::pair<double, double>> points;  // (timesteps, value)
};

// The metrics a plot can show: the numeric columns of metrics.csv except "timesteps".
const std::vector<std::string>& plottable_metrics();

// Reads `run_dir`/metrics.jsonl and returns one series per metric, in the given order.
// Throws cairn::Error if the file is missing or malformed (naming it and the line) or a
// metric is not plottable (listing the ones that are). Legend names are the folder names;
// `name` overrides it.
std::vector<Series> read_series(const std::filesystem::path& run_dir,
                                const std::vector<std::string>& metrics,
                                const std::optional<std::string>& name = std::nullopt);

// The SVG document for `series` (grouped by metric into panels, in first-seen order).
std::string learning_curve_svg(const std::vector<Series>& series);

struct PlotFiles {
  std::filesystem::path svg;
  std::optional<std::filesystem::path> png;  // set when a rasteriser wrote it
  std::string png_note;  // how the PNG was made ("rsvg-convert"), or why it was skipped
};

// Writes the SVG to `svg_path` atomically, then tries a PNG with the same stem (with
// rsvg-convert, else ImageMagick's convert, when found on PATH). A missing or failing
// rasteriser never fails the call: png stays empty and png_note says why.
// Throws cairn::Error if the SVG cannot be written.
PlotFiles write_learning_curve(const std::vector<Series>& series,
                               const std::filesystem::path& svg_path);

// {"svg": path, "png": path or null, "png_note": ..., "series": [{"run", "metric",
// "points": [[timesteps, value], ...]}, ...]}
nlohmann::json plot_json(const PlotFiles& files, const std::vector<Series>& series);

}  // namespace cairn::cli
