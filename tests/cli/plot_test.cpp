// `cairn plot` and the learning curve `cairn train` draws in its run folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;
using testing_cli::read_text;
using testing_cli::run_cli;
using json = nlohmann::json;

// The value of attribute `name` in an element's text.
std::string attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const size_t start = element.find(key);
  if (start == std::string::npos) return "";
  const size_t value = start + key.size();
  return element.substr(value, element.find('"', value) - value);
}

// Elements "<tag ...>" of a document, in order.
std::vector<std::string> elements(const std::string& svg, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag;
  for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
    const char next = svg[at + open.size()];
    if (next != ' ' && next != '\n' && next != '/' && next != '>') continue;
    out.push_back(svg.substr(at, svg.find('>', at) - at + 1));
  }
  return out;
}

// The (timesteps, value) rows of a run's metrics.jsonl for a metric, nulls left out.
std::vector<std::pair<double, double>> expected_points(const std::string& run_dir,
                                                       const std::string& metric) {
  std::vector<std::pair<double, double>> out;
  for (const std::string& line : testing_cli::lines_of(read_text(run_dir + "/metrics.jsonl"))) {
    const json j = json::parse(line);
    if (!j[metric].is_null())
      out.emplace_back(j["timesteps"].get<double>(), j[metric].get<double>());
  }
  return out;
}

TEST(Plot, SeveralRunsAndMetricsInOneSvg) {
  testing_io::ScratchDir dir;
  const std::string a = (dir / "seed_1").string(), b = (dir / "seed_2").string();
  for (const auto& [run, seed] : {std::pair{a, "1"}, std::pair{b, "2"}}) {
    const CliRun r = run_cli(std::string("train --stop-iters 6 --eval-episodes 0 --quiet --seed ") +
                             seed + " --out " + run);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(std::filesystem::exists(run + "/learning_curve.svg"));  // train draws its own
  }
  const std::string out = (dir / "plots/both.svg").string();
  const CliRun r = run_cli("plot " + a + " " + b + " --out " + out +
                           " --metric episode_return_mean --metric value_loss --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = testing_cli::json_of(r);
  EXPECT_EQ(j["svg"], out);
  if (j["png"].is_null()) {
    EXPECT_NE(j["png_note"].get<std::string>().find("skipped"), std::string::npos);
  } else {
    EXPECT_TRUE(std::filesystem::file_size(j["png"].get<std::string>()) > 0);
  }
  ASSERT_EQ(j["series"].size(), 4u);

  const std::string svg = read_text(out);
  ASSERT_EQ(svg.rfind("<?xml", 0), 0u);
  ASSERT_EQ(elements(svg, "svg").size(), 1u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // The legend names both runs; every panel has axis labels.
  EXPECT_NE(svg.find(">seed_1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">seed_2</text>"), std::string::npos);
  const std::vector<std::string> panels = elements(svg, "g class=\"panel\"");
  ASSERT_EQ(panels.size(), 2u);
  size_t labels = 0;
  for (size_t at = svg.find(">timesteps</text>"); at != std::string::npos;
       at = svg.find(">timesteps</text>", at + 1)) {
    ++labels;
  }
  EXPECT_EQ(labels, 2u);
  EXPECT_NE(svg.find("rotate(-90)\" text-anchor=\"middle\">value_loss</text>"), std::string::npos);
  EXPECT_GE(elements(svg, "text class=\"tick\"").size(), 8u);

  // One path per run and metric, whose points map back to metrics.jsonl through its
  // panel's ranges (to the SVG's 0.01 px precision).
  const std::vector<std::string> paths = elements(svg, "path class=\"series\"");
  ASSERT_EQ(paths.size(), 4u);
  std::map<std::string, std::string> panel_of;
  for (const std::string& p : panels) panel_of[attribute(p, "data-metric")] = p;
  for (const std::string& path : paths) {
    const std::string run = attribute(path, "data-run"), metric = attribute(path, "data-metric");
    SCOPED_TRACE(run + " " + metric);
    const std::string& panel = panel_of.at(metric);
    auto num = [&](const char* name) { return std::stod(attribute(panel, name)); };
    const double x0 = num("data-x-min"), x1 = num("data-x-max"), y0 = num("data-y-min"),
                 y1 = num("data-y-max"), left = num("data-left"), right = num("data-right"),
                 top = num("data-top"), bottom = num("data-bottom");
    const std::vector<std::pair<double, double>> want =
        expected_points((dir / run).string(), metric);
    const std::string d = attribute(path, "d");
    std::vector<std::pair<double, double>> got;
    // "Mx,y Lx,y ...": each point is a command letter, x, a comma and y.
    for (size_t at = d.find_first_of("ML"); at != std::string::npos;
         at = d.find_first_of("ML", at + 1)) {
      const size_t comma = d.find(',', at);
      const double px = std::stod(d.substr(at + 1, comma - at - 1));
      const double py = std::stod(d.substr(comma + 1));
      got.emplace_back(x0 + (px - left) / (right - left) * (x1 - x0),
                       y0 + (bottom - py) / (bottom - top) * (y1 - y0));
    }
    ASSERT_EQ(got.size(), want.size());
    ASSERT_FALSE(want.empty());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(got[i].first, want[i].first, 0.006 / (right - left) * (x1 - x0)) << i;
      EXPECT_NEAR(got[i].second, want[i].second, 0.006 / (bottom - top) * (y1 - y0)) << i;
    }
    // The JSON's series are the exact values.
    for (const json& s : j["series"]) {
      if (s["run"] == run && s["metric"] == metric) {
        ASSERT_EQ(s["points"].size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
          EXPECT_EQ(s["points"][i][0].get<double>(), want[i].first);
          EXPECT_EQ(s["points"][i][1].get<double>(), want[i].second);
        }
      }
    }
  }
  // Runs keep their colour across panels, and the two runs differ.
  std::map<std::string, std::string> colour;
  for (const std::string& path : paths) {
    const std::string run = attribute(path, "data-run");
    if (colour.count(run)) {
      EXPECT_EQ(colour[run], attribute(path, "stroke"));
    }
    colour[run] = attribute(path, "stroke");
  }
  EXPECT_NE(colour["seed_1"], colour["seed_2"]);
}

TEST(Plot, OneRunDefaultsToItsFolder) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --stop-iters 2 --eval-episodes 0 --quiet --out " + run).exit_code, 0);
  std::filesystem::remove(run + "/learning_curve.svg");
  const CliRun r = run_cli("plot " + run);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("plot: " + run + "/learning_curve.svg"), std::string::npos) << r.out;
  const std::string svg = read_text(run + "/learning_curve.svg");
  EXPECT_EQ(elements(svg, "path class=\"series\"").size(), 1u);
  EXPECT_NE(svg.find("data-metric=\"episode_return_mean\""), std::string::npos);
}

TEST(Plot, BadInputIsAOneLineError) {
  testing_io::ScratchDir dir;
  const std::string run = (dir / "run").string();
  ASSERT_EQ(run_cli("train --stop-iters 1 --eval-episodes 0 --quiet --out " + run).exit_code, 0);
  for (const std::string& args :
       {std::string("plot"), "plot " + run + " " + run, "plot " + run + " --metric nope",
        "plot " + dir.path().string(), "plot " + run + " --colour red"}) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
}

}  // namespace
}  // namespace cairn
