// metrics.csv and metrics.jsonl of `cairn train` run folders.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_cli::CliRun;
using testing_cli::lines_of;
using testing_cli::read_text;
using testing_cli::run_cli;

const char* kHeader =
    "iteration,timesteps,episodes,episodes_this_iter,episode_return_mean,episode_length_mean,"
    "policy_loss,value_loss,entropy,approx_kl,clip_fraction,explained_variance,stopped_early_kl,"
    "learning_rate,steps_per_second,time_elapsed";

// The iterations of the rows, checking that both files hold the same rows.
std::vector<int64_t> iterations(const std::string& run_dir) {
  const std::vector<std::string> csv = lines_of(read_text(run_dir + "/metrics.csv"));
  const std::vector<std::string> jsonl = lines_of(read_text(run_dir + "/metrics.jsonl"));
  EXPECT_FALSE(csv.empty());
  if (csv.empty()) return {};
  EXPECT_EQ(csv[0], kHeader);
  EXPECT_EQ(csv.size(), jsonl.size() + 1);
  std::vector<int64_t> out;
  for (size_t i = 0; i < jsonl.size() && i + 1 < csv.size(); ++i) {
    const nlohmann::json j = nlohmann::json::parse(jsonl[i]);
    out.push_back(j["iteration"].get<int64_t>());
    // The CSV row holds the same values, in the header's order.
    EXPECT_EQ(csv[i + 1].substr(0, csv[i + 1].find(',')), std::to_string(out.back()));
    EXPECT_NE(csv[i + 1].find("," + j["timesteps"].dump() + ","), std::string::npos);
    EXPECT_EQ(std::count(csv[i + 1].begin(), csv[i + 1].end(), ','), 15);
  }
  return out;
}

TEST(Metrics, OneRowPerIterationAcrossResumes) {
  testing_io::ScratchDir dir;
  const std::string run_dir = (dir / "run").string();
  CliRun r = run_cli("train --stop-iters 3 --out " + run_dir + " --eval-episodes 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(iterations(run_dir), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(testing_cli::json_of(r)["metrics"]["csv"], run_dir + "/metrics.csv");

  // The resumed run continues the files (its folder is the checkpoint's).
  r = run_cli("train --resume " + run_dir + " --stop-iters 5 --eval-episodes 0 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(iterations(run_dir), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  // A finished run resumed again trains nothing and adds nothing.
  r = run_cli("train --resume " + run_dir + " --stop-iters 5 --eval-episodes 0 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(iterations(run_dir), (std::vector<int64_t>{1, 2, 3, 4, 5}));

  // Resuming an older checkpoint drops the rows of the abandoned continuation.
  r = run_cli("train --resume " + run_dir + "/checkpoint_000003 --stop-iters 4 --eval-episodes 0");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(iterations(run_dir), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(Metrics, APartlyWrittenLastLineIsDroppedOnResume) {
  testing_io::ScratchDir dir;
  const std::string run_dir = (dir / "run").string();
  ASSERT_EQ(run_cli("train --stop-iters 2 --out " + run_dir + " --eval-episodes 0").exit_code, 0);
  {
    std::ofstream csv(run_dir + "/metrics.csv", std::ios::app);
    csv << "3,768,4";  // a crash while writing iteration 3
    std::ofstream jsonl(run_dir + "/metrics.jsonl", std::ios::app);
    jsonl << "{\"iteration\":3,\"time";
  }
  ASSERT_EQ(run_cli("train --resume " + run_dir + " --stop-iters 3 --eval-episodes 0").exit_code,
            0);
  EXPECT_EQ(iterations(run_dir), (std::vector<int64_t>{1, 2, 3}));
}

TEST(Metrics, NoRunFolderNoFiles) {
  testing_io::ScratchDir dir;
  const CliRun r =
      testing_cli::run_shell("cd " + dir.path().string() + " && " + testing_cli::cairn_binary() +
                             " train --stop-iters 2 --eval-episodes 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(testing_cli::json_of(r).contains("metrics"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace cairn
