#include "learning_curve.h"

#include "cairn/algorithms/algorithm_registry.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cairn/error.h"
#include "cairn/io/atomic_file.h"
#include "cairn/io/text_file.h"
#include "metrics_log.h"

extern char** environ;

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Layout, in pixels.
constexpr double kWidth = 820, kPanelHeight = 300, kLeft = 90, kRight = 24, kPanelTop = 34,
                 kPanelBottom = 52, kLegendRow = 20;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// An exact, readable form of a data value for attributes.
std::string exact(double v) {
  return json(v).dump();
}

std::string tick_label(double v, double step) {
  char buf[32];
  if (std::fabs(v) < step * 1e-9) v = 0;
  if (step >= 1 && std::fabs(v) < 1e9) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi]; widens lo and hi to the
// outer ticks. Returns the step.
double nice_range(double& lo, double& hi) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (raw <= step) break;
  }
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  return step;
}

bool find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string dirs = path;
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && ::access((fs::path(dir) / name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Runs argv (looked up on PATH) with its output discarded; true if it exits with 0.
bool run_quietly(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

const std::vector<std::string>& plottable_metrics() {
  static const std::vector<std::string> metrics = [] {
    std::vector<std::string> m;
    // Every column of every registered algorithm, once, in column order.
    for (const std::string& algorithm : algorithm_names()) {
      for (const std::string& c : metric_columns(algorithm_info(algorithm).metric_names)) {
        if (c != "timesteps" && c != "stopped_early_kl" &&
            std::find(m.begin(), m.end(), c) == m.end()) {
          m.push_back(c);
        }
      }
    }
    return m;
  }();
  return metrics;
}

std::vector<Series> read_series(const fs::path& run_dir, const std::vector<std::string>& metrics,
                                const std::optional<std::string>& name) {
  for (const std::string& m : metrics) {
    if (std::find(plottable_metrics().begin(), plottable_metrics().end(), m) ==
        plottable_metrics().end()) {
      std::string known;
      for (const std::string& k : plottable_metrics()) known += (known.empty() ? "" : ", ") + k;
      throw Error("unknown metric '" + m + "' (known: " + known + ")");
    }
  }
  const fs::path file = run_dir / "metrics.jsonl";
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) {
    throw Error("cannot read '" + file.string() + "' (is it a run folder of cairn train?)");
  }
  // Bounded lines of a regular file; a last line torn by a crash is left out.
  const std::vector<std::string> lines = read_complete_lines(file, kMaxTextLineBytes);
  std::string run = name.value_or(fs::path(run_dir).lexically_normal().filename().string());
  if (run.empty()) run = fs::path(run_dir).lexically_normal().parent_path().filename().string();
  std::vector<Series> out;
  for (const std::string& m : metrics) out.push_back({run, m, {}});
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(i + 1);
    const json j = parse_json_strictly(line, where);
    if (!j.is_object() || !j.contains("timesteps") || !j["timesteps"].is_number()) {
      throw Error(where + ": not a metrics row: " + excerpt(line));
    }
    const double x = j["timesteps"].get<double>();
    for (Series& s : out) {
      const auto it = j.find(s.metric);
      if (it != j.end() && it->is_number()) s.points.emplace_back(x, it->get<double>());
    }
  }
  return out;
}

std::string learning_curve_svg(const std::vector<Series>& series) {
  std::vector<std::string> metrics, runs;
  for (const Series& s : series) {
    if (std::find(metrics.begin(), metrics.end(), s.metric) == metrics.end())
      metrics.push_back(s.metric);
    if (std::find(runs.begin(), runs.end(), s.run) == runs.end()) runs.push_back(s.run);
  }
  const double legend_height = 16 + kLegendRow * static_cast<double>(runs.size());
  const double panel_total = kPanelTop + kPanelHeight + kPanelBottom;
  const double height = legend_height + panel_total * static_cast<double>(metrics.size());
  auto color = [&](const std::string& run) {
    const size_t i = static_cast<size_t>(std::find(runs.begin(), runs.end(), run) - runs.begin());
    return kColors[i % (sizeof kColors / sizeof kColors[0])];
  };

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" +
         num(height) + "\" viewBox=\"0 0 " + num(kWidth) + " " + num(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<g class=\"legend\">\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const double y = 16 + kLegendRow * static_cast<double>(i);
    svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLeft + 28) +
           "\" y2=\"" + num(y) + "\" stroke=\"" + color(runs[i]) + "\" stroke-width=\"2.5\"/>";
    svg += "<text x=\"" + num(kLeft + 36) + "\" y=\"" + num(y + 4) + "\">" + escape(runs[i]) +
           "</text>\n";
  }
  svg += "</g>\n";

  for (size_t p = 0; p < metrics.size(); ++p) {
    const std::string& metric = metrics[p];
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (const Series& s : series) {
      if (s.metric != metric) continue;
      for (const auto& [x, y] : s.points) {
        x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
        y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
      }
    }
    if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    x_lo = std::min(x_lo, 0.0);  // the x axis starts at the run's beginning
    const double x_step = nice_range(x_lo, x_hi);
    const double y_step = nice_range(y_lo, y_hi);
    const double top = legend_height + panel_total * static_cast<double>(p) + kPanelTop;
    const double bottom = top + kPanelHeight, left = kLeft, right = kWidth - kRight;
    auto px = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); };
    auto py = [&](double y) { return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top); };

    svg += "<g class=\"panel\" data-metric=\"" + escape(metric) + "\" data-x-min=\"" + exact(x_lo) +
           "\" data-x-max=\"" + exact(x_hi) + "\" data-y-min=\"" + exact(y_lo) +
           "\" data-y-max=\"" + exact(y_hi) + "\" data-left=\"" + num(left) + "\" data-right=\"" +
           num(right) + "\" data-top=\"" + num(top) + "\" data-bottom=\"" + num(bottom) + "\">\n";
    svg += "<text class=\"title\" x=\"" + num((left + right) / 2) + "\" y=\"" + num(top - 12) +
           "\" text-anchor=\"middle\" font-size=\"14\">" + escape(metric) + "</text>\n";
    // Grid, ticks and tick labels.
    for (double t = x_lo; t <= x_hi + x_step * 1e-6; t += x_step) {
      const std::string x = num(px(t));
      svg += "<line x1=\"" + x + "\" y1=\"" + num(top) + "\" x2=\"" + x + "\" y2=\"" +
             num(bottom + 5) + "\" stroke=\"#e0e0e0\"/>";
      svg += "<text class=\"tick\" x=\"" + x + "\" y=\"" + num(bottom + 18) +
             "\" text-anchor=\"middle\">" + tick_label(t, x_step) + "</text>\n";
    }
    for (double t = y_lo; t <= y_hi + y_step * 1e-6; t += y_step) {
      const std::string y = num(py(t));
      svg += "<line x1=\"" + num(left - 5) + "\" y1=\"" + y + "\" x2=\"" + num(right) + "\" y2=\"" +
             y + "\" stroke=\"#e0e0e0\"/>";
      svg += "<text class=\"tick\" x=\"" + num(left - 8) + "\" y=\"" + num(py(t) + 4) +
             "\" text-anchor=\"end\">" + tick_label(t, y_step) + "</text>\n";
    }
    svg += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(right - left) +
           "\" height=\"" + num(bottom - top) + "\" fill=\"none\" stroke=\"black\"/>\n";
    svg += "<text class=\"axis-label\" x=\"" + num((left + right) / 2) + "\" y=\"" +
           num(bottom + 40) + "\" text-anchor=\"middle\">timesteps</text>\n";
    svg += "<text class=\"axis-label\" transform=\"translate(" + num(22) + " " +
           num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(metric) +
           "</text>\n";
    for (const Series& s : series) {
      if (s.metric != metric) continue;
      std::string d;
      for (const auto& [x, y] : s.points) {
        d += (d.empty() ? "M" : " L") + num(px(x)) + "," + num(py(y));
      }
      svg += "<path class=\"series\" data-run=\"" + escape(s.run) + "\" data-metric=\"" +
             escape(metric) + "\" fill=\"none\" stroke=\"" + color(s.run) +
             "\" stroke-width=\"1.8\" d=\"" + d + "\"/>\n";
      if (s.points.size() == 1) {  // a path of one point draws nothing
        svg += "<circle cx=\"" + num(px(s.points[0].first)) + "\" cy=\"" +
               num(py(s.points[0].second)) + "\" r=\"3\" fill=\"" + color(s.run) + "\"/>\n";
      }
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

PlotFiles write_learning_curve(const std::vector<Series>& series, const fs::path& svg_path) {
  std::error_code ec;
  if (svg_path.has_parent_path()) fs::create_directories(svg_path.parent_path(), ec);
  write_file_atomically(svg_path, learning_curve_svg(series));
  PlotFiles files{svg_path, std::nullopt, ""};
  fs::path png = svg_path;
  png.replace_extension(".png");
  // The rasteriser writes a temporary sibling that is renamed into place, so a crash (or
  // a failing rasteriser) never leaves a torn PNG under the final name.
  const fs::path temp = png.parent_path() / ("." + png.filename().string() + ".tmp-" +
                                             std::to_string(::getpid()) + ".png");
  std::vector<std::string> command;
  if (find_program("rsvg-convert")) {
    command = {"rsvg-convert", "-o", temp.string(), svg_path.string()};
  } else if (find_program("convert")) {
    command = {"convert", svg_path.string(), temp.string()};
  } else {
    files.png_note = "skipped: no rasteriser found (install rsvg-convert or ImageMagick)";
    return files;
  }
  if (run_quietly(command) && fs::exists(temp, ec)) {
    fs::rename(temp, png, ec);
    if (!ec) {
      files.png = png;
      files.png_note = command[0];
      return files;
    }
  }
  fs::remove(temp, ec);
  fs::remove(png, ec);  // an older PNG would no longer match the SVG
  files.png_note = "skipped: " + command[0] + " failed";
  return files;
}

json plot_json(const PlotFiles& files, const std::vector<Series>& series) {
  json s = json::array();
  for (const Series& x : series) {
    json points = json::array();
    for (const auto& [t, v] : x.points) points.push_back({t, v});
    s.push_back({{"run", x.run}, {"metric", x.metric}, {"points", points}});
  }
  return {{"svg", files.svg.string()},
          {"png", files.png ? json(files.png->string()) : json(nullptr)},
          {"png_note", files.png_note},
          {"series", s}};
}

}  // namespace cairn::cli
