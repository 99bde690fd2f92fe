// bench/side_by_side.sh without the peers: it says so and still measures cairn, one seed,
// with every row of its table filled (the figures' values are not asserted: benchmarks
// print, tests never time).
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

#if CAIRN_HAS_BENCH
namespace {

using cairn::testing_cli::run_shell;

std::string side_by_side_script() {
  return std::string(CAIRN_SOURCE_DIR) + "/bench/side_by_side.sh";
}

// The table's body rows, each split into its cells (trimmed).
std::vector<std::vector<std::string>> side_by_side_rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| task", 0) == 0 || line.rfind("| ---", 0) == 0) {
      continue;
    }
    std::vector<std::string> cells;
    std::istringstream cols(line.substr(1));
    std::string cell;
    while (std::getline(cols, cell, '|')) {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    rows.push_back(cells);
  }
  return rows;
}

TEST(SideBySide, WithoutThePeersSaysSoAndStillMeasuresCairn) {
  cairn::testing_io::ScratchDir dir;
  const auto r =
      run_shell("CAIRN_PEERS='" + (dir.path() / "no-peers").string() + "' bash '" +
                side_by_side_script() + "' --no-build --seeds 1 '" + CAIRN_BINARY_DIR + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("RLtools: peers not available"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Stable-Baselines3: peers not available"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("- processor: "), std::string::npos) << r.out;
  const auto rows = side_by_side_rows(r.out);
  ASSERT_EQ(rows.size(), 6u) << r.out;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 7u) << r.out;
    // cairn's time: one number, above zero.
    char* end = nullptr;
    const double t = std::strtod(row[3].c_str(), &end);
    EXPECT_GT(t, 0.0) << row[0];
    EXPECT_EQ(*end, '\0') << row[0] << ": " << row[3];
    // No peer figure, and no ratio, without the peers.
    EXPECT_EQ(row[4], "-") << row[0];
  }
  EXPECT_NE(rows[0][6].find("eval 1000 ep: -1"), std::string::npos) << rows[0][6];
  EXPECT_EQ(rows[2][2], "peers not available");
  // Seed 1 solves CartPole-v1 with the zoo's PPO configuration and both presets (the PPO
  // and DQN learning tests say so for the presets).
  EXPECT_NE(rows[3][6].find("solved 1 of 1"), std::string::npos) << rows[3][6];
  EXPECT_NE(rows[4][6].find("solved 1 of 1"), std::string::npos) << rows[4][6];
  EXPECT_NE(rows[5][6].find("solved 1 of 1"), std::string::npos) << rows[5][6];
}

TEST(SideBySide, RefusesABadSeedCountNamingIt) {
  const auto r = run_shell("bash '" + side_by_side_script() + "' --seeds none --no-build");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--seeds must be a positive integer, got 'none'"), std::string::npos)
      << r.out;
}

}  // namespace
#endif
