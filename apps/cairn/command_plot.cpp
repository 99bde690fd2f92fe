// `cairn plot`: learning curves of one or several runs as an SVG (and a PNG when possible).
#include <cstdio>
#include <set>

#include "arguments.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/error.h"
#include "commands.h"
#include "learning_curve.h"

namespace cairn::cli {
namespace {

const std::vector<FlagSpec> kPlotFlags = {
    {"out", true, "FILE",
     "the SVG to write (default RUN_DIR/learning_curve.svg; required for several runs)"},
    {"metric", true, "NAME",
     "a metric to plot against timesteps, one panel each (repeatable; default "
     "episode_return_mean)",
     /*repeatable=*/true},
    {"json", false, "", "print one JSON object: the files written and the series"},
    {"help", false, "", "show this help"},
};

}  // namespace

int run_plot(int argc, char** argv, int first) {
  Arguments args("plot", kPlotFlags, argc, argv, first);
  if (args.has("help")) {
    std::string metrics;
    for (const std::string& m : plottable_metrics()) metrics += (metrics.empty() ? "" : ", ") + m;
    std::fputs(
        help_text("cairn plot RUN_DIR [RUN_DIR...] [--out FILE] [--metric NAME]... [--json]",
                  std::string("Draws the learning curves of runs (their ") + kMetricsJsonlFile +
                      ", written by 'cairn train --out')\nagainst timesteps as an SVG, one colour "
                      "per run, one "
                      "panel per metric. Also writes\na PNG next to it when rsvg-convert or "
                      "ImageMagick's convert is installed.\nMetrics: " +
                      metrics + ".",
                  kPlotFlags)
            .c_str(),
        stdout);
    return 0;
  }
  const std::vector<std::string>& runs = args.positional();
  if (runs.empty()) throw Error("expected at least one RUN_DIR (see --help)");
  if (runs.size() > 1 && !args.has("out")) throw Error("several runs need --out FILE");
  std::vector<std::string> metrics = args.get_all("metric");
  if (metrics.empty()) metrics = {"episode_return_mean"};
  std::vector<Series> series;
  std::set<std::string> names;
  for (const std::string& run : runs) {
    std::vector<Series> s = read_series(run, metrics);
    // Two runs with the same folder name (a/run, b/run) are told apart by their paths.
    if (!names.insert(s.front().run).second) {
      for (Series& x : s) x.run = run;
    }
    series.insert(series.end(), s.begin(), s.end());
  }
  const std::filesystem::path svg = args.has("out")
                                        ? std::filesystem::path(*args.get("out"))
                                        : std::filesystem::path(runs[0]) / "learning_curve.svg";
  const PlotFiles files = write_learning_curve(series, svg);
  if (args.has("json")) {
    std::printf("%s\n", plot_json(files, series).dump().c_str());
  } else {
    std::printf("plot: %s\n", files.svg.c_str());
    if (files.png) {
      std::printf("plot: %s\n", files.png->c_str());
    } else {
      std::printf("png %s\n", files.png_note.c_str());
    }
  }
  return 0;
}

}  // namespace cairn::cli
