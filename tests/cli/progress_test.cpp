// `cairn train`'s progress output: an updating line on a terminal, plain lines otherwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "cli/cli_runner.h"

namespace cairn {
namespace {

using testing_cli::CliRun;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The fields of a progress line, "name value" separated by two spaces, in order:
// {"iter": "12", "steps": "3,072/150,000", ...}; empty if the names are not the expected ones.
std::map<std::string, std::string> progress_fields(const std::string& line) {
  const std::vector<std::string> names = {"iter", "steps", "return", "sps", "elapsed", "eta"};
  std::map<std::string, std::string> fields;
  size_t start = 0;
  for (const std::string& name : names) {
    const size_t end = line.find("  ", start);
    const std::string field = line.substr(start, end == std::string::npos ? end : end - start);
    if (field.rfind(name + " ", 0) != 0) return {};
    fields[name] = field.substr(name.size() + 1);
    if (end == std::string::npos) return name == names.back() ? fields : decltype(fields){};
    start = end + 2;
  }
  return {};  // more fields than expected
}

TEST(Progress, OneUpdatingLineOnATerminal) {
  const CliRun r = testing_cli::run_cli_on_terminal(
      {"train", "--env", "CartPole-v1", "--stop-seconds", "0.6", "--eval-episodes", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Every redraw returns to the line's start, rewrites it and clears what is left of the
  // previous one; several redraws in 0.6 s (at most ~10 a second).
  const size_t redraws = count(r.out, "\riter ");
  EXPECT_GE(redraws, 3u) << r.out;
  EXPECT_LE(redraws, 12u) << r.out;
  EXPECT_EQ(count(r.out, "\x1b[K"), redraws) << r.out;
  // All of it is one line: no newline before the last redraw; it ends with one.
  const size_t last = r.out.rfind("\riter ");
  EXPECT_EQ(r.out.substr(0, last).find('\n'), std::string::npos) << r.out;
  // The last redraw, then the newline (which the terminal writes as "\r\n").
  const size_t end = r.out.find("\x1b[K", last);
  ASSERT_NE(end, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(end), "\x1b[K\r\n") << r.out;
  const std::string final_line = r.out.substr(last + 1, end - last - 1);
  std::map<std::string, std::string> f = progress_fields(final_line);
  ASSERT_EQ(f.size(), 6u) << final_line;
  EXPECT_GT(std::stoi(f["iter"]), 1) << final_line;
  EXPECT_NE(f["steps"].find("/150,000"), std::string::npos) << final_line;  // the target
  EXPECT_NE(f["return"], "?") << final_line;
  EXPECT_EQ(f["eta"], "0.00 s") << final_line;  // the last iteration: nothing left
  // An earlier redraw forecasts the time left.
  const size_t first_end = r.out.find("\x1b[K");
  f = progress_fields(r.out.substr(1, first_end - 1));
  ASSERT_EQ(f.size(), 6u) << r.out.substr(0, first_end);
  EXPECT_EQ(f["iter"], "1");
  EXPECT_NE(f["eta"], "?");
  EXPECT_GT(std::stod(f["eta"]), 0.0) << f["eta"];
}

TEST(Progress, PlainLinesWithoutATerminal) {
  const CliRun r =
      testing_cli::run_cli("train --env CartPole-v1 --stop-seconds 0.5 --eval-episodes 0");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  const std::vector<std::string> lines = testing_cli::lines_of(r.out);
  // At most one line a second, plus the last iteration's: the first and the last (a third
  // only if the machine is so loaded that 0.5 s of training took over a second).
  ASSERT_GE(lines.size(), 2u) << r.out;
  ASSERT_LE(lines.size(), 3u) << r.out;
  for (const std::string& line : lines) {
    EXPECT_EQ(progress_fields(line).size(), 6u) << line;
  }
}

TEST(Progress, QuietAndJsonPrintNone) {
  CliRun r = testing_cli::run_cli_on_terminal(
      {"train", "--stop-iters", "3", "--eval-episodes", "0", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("iter "), std::string::npos) << r.out;
  r = testing_cli::run_cli_on_terminal(
      {"train", "--stop-iters", "3", "--eval-episodes", "0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Exactly one JSON object (the terminal writes "\r\n").
  ASSERT_EQ(count(r.out, "\n"), 1u) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["final"]["iteration"], 3);
}

}  // namespace
}  // namespace cairn
