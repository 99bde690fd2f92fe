// `cairn train`'s progress output: an updating line on a terminal, plain lines otherwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "cli/cli_runner.h"

namespace cairn {
namespace {

using testing_cli::CliRun;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
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
  const size_t end = r.out.find('\n', last);
  ASSERT_NE(end, std::string::npos) << r.out;
  const std::string final_line = r.out.substr(last + 1, end - last - 1);
  EXPECT_TRUE(std::regex_search(
      final_line, std::regex(R"(^iter \d+  steps [\d,]+/150,000  return [\d.]+  sps [\d,]+  )"
                             R"(elapsed [\d.]+ s  eta [\d.]+ (s|min))")))
      << final_line;
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
    EXPECT_TRUE(std::regex_search(line, std::regex(R"(^iter \d+  steps .* eta [\d.]+ s$)")))
        << line;
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
