// The cairn program on hostile run folders, checkpoints and config files: every case is
// the documented one-line error with exit code 2, naming the file, promptly (a reader
// that blocked would be killed by `timeout` and fail the exit-code check).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cairn/io/atomic_file.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"
#include "support/unprivileged.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::CliRun;
using testing_io::ScratchDir;

CliRun run(const std::string& args) {
  return testing_cli::run_shell("timeout 60 " + testing_cli::cairn_binary() + " " + args);
}

nlohmann::json json_file(const fs::path& p) {
  return nlohmann::json::parse(testing_cli::read_text(p.string()));
}

void write_json(const fs::path& p, const nlohmann::json& j) {
  write_file_atomically(p, j.dump(2));
}

// Exit code 2 and one line "cairn <command>: error: ..." containing `text`.
void expect_clean_error(const CliRun& r, const std::string& command, const std::string& text) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_EQ(r.out.rfind("cairn " + command + ": error: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(text), std::string::npos) << "expected \"" << text << "\", got: " << r.out;
}

class HostileFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new ScratchDir;
    const CliRun r =
        run("train --env CartPole-v1 --set num_envs=2 --set num_steps=16 "
            "--set num_minibatches=2 --set num_epochs=1 --stop-iters 1 "
            "--eval-episodes 0 --quiet --out " +
            (*source_ / "run").string());
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
  }
  void SetUp() override {
    fs::copy(*source_ / "run", dir / "run", fs::copy_options::recursive);
    run_dir = dir / "run";
    checkpoint = run_dir / "checkpoint_000001";
    policy = checkpoint / "policies" / "default_policy";
  }

  static ScratchDir* source_;
  ScratchDir dir;
  fs::path run_dir, checkpoint, policy;
};

ScratchDir* HostileFiles::source_ = nullptr;

TEST_F(HostileFiles, TheUntouchedRunWorks) {
  EXPECT_EQ(run("inspect " + run_dir.string()).exit_code, 0);
}

TEST_F(HostileFiles, ANamedPipeNeverHangsACommand) {
  const fs::path latest = run_dir / "latest";
  fs::remove(latest);
  ASSERT_EQ(::mkfifo(latest.c_str(), 0600), 0);
  for (const char* command : {"inspect", "eval", "export"}) {
    SCOPED_TRACE(command);
    const std::string extra = std::string(command) == "export" ? " --format c --out " : "";
    const CliRun r = run(std::string(command) + " " + run_dir.string() + extra +
                         (extra.empty() ? "" : (dir / "out").string()));
    expect_clean_error(r, command, "'" + latest.string() + "': it is a named pipe");
  }
  fs::remove(latest);
  write_file_atomically(latest, std::string_view("checkpoint_000001\n"));
  const fs::path example = policy / "example.safetensors";
  fs::remove(example);
  ASSERT_EQ(::mkfifo(example.c_str(), 0600), 0);
  expect_clean_error(run("eval " + policy.string() + " --env CartPole-v1"), "eval",
                     "example.safetensors' is not a regular file or folder");
}

TEST_F(HostileFiles, LatestIsReadWithABoundAndQuotedSafely) {
  const fs::path latest = run_dir / "latest";
  fs::remove(latest);
  fs::create_symlink("/dev/zero", latest);
  expect_clean_error(run("inspect " + run_dir.string()), "inspect", "a character device");
  fs::remove(latest);
  write_file_atomically(latest, std::string(10 << 20, 'A'));
  CliRun r = run("inspect " + run_dir.string());
  expect_clean_error(r, "inspect", "more than a 'latest' marker may have");
  EXPECT_LT(r.out.size(), 1000u);
  write_file_atomically(latest, std::string_view("\x1b]0;pwned\x07\x1b[2J\xff\n"));
  r = run("inspect " + run_dir.string());
  expect_clean_error(r, "inspect", "does not name a checkpoint (holds '\\x1b]0;pwned");
  EXPECT_EQ(std::count_if(r.out.begin(), r.out.end(),
                          [](char c) {
                            const auto u = static_cast<unsigned char>(c);
                            return c != '\n' && (u < 0x20 || u >= 0x7f);
                          }),
            0)
      << r.out;
}

TEST_F(HostileFiles, MistypedManifestFieldsAreCleanErrors) {
  const fs::path manifest = checkpoint / "cairn_checkpoint.json";
  const nlohmann::json good = json_file(manifest);
  for (const char* version : {"null", "\"1\""}) {
    nlohmann::json m = good;
    m["format_version"] = nlohmann::json::parse(version);
    write_json(manifest, m);
    for (const char* command : {"inspect", "eval"}) {
      expect_clean_error(run(std::string(command) + " " + run_dir.string()), command,
                         "field 'format_version' must be a positive integer");
    }
  }
  nlohmann::json m = good;
  m["counters"] = "many";
  write_json(manifest, m);
  expect_clean_error(run("inspect " + run_dir.string()), "inspect", "field 'counters'");
  m = good;
  m["policy_ids"] = {".."};
  write_json(manifest, m);
  for (const char* command : {"inspect", "eval", "export"}) {
    const std::string extra =
        std::string(command) == "export" ? " --format c --out " + (dir / "out").string() : "";
    expect_clean_error(run(std::string(command) + " " + run_dir.string() + extra), command,
                       "field 'policy_ids'");
  }
  expect_clean_error(run("train --resume " + run_dir.string() + " --stop-iters 2 --quiet"), "train",
                     "field 'policy_ids'");
  // A standalone policy folder has no outer checksum to catch a rewritten manifest.
  const fs::path standalone = dir / "standalone";
  fs::copy(policy, standalone);
  write_file_atomically(standalone / "cairn_policy.json", std::string_view("[1, 2]"));
  expect_clean_error(run("inspect " + standalone.string()), "inspect",
                     "expected a JSON object, found array");
  expect_clean_error(run("eval " + standalone.string() + " --env CartPole-v1"), "eval",
                     "expected a JSON object, found array");
}

TEST_F(HostileFiles, InspectRefusesAStateThatResumeRefuses) {
  // A negative iteration in both the manifest and the state, checksums made to match.
  const fs::path manifest = checkpoint / "cairn_checkpoint.json";
  nlohmann::json m = json_file(manifest);
  m["counters"]["iteration"] = -5;
  write_json(manifest, m);
  const CliRun inspect = run("inspect " + run_dir.string());
  expect_clean_error(inspect, "inspect", "field 'counters.iteration'");
  const CliRun resume = run("train --resume " + run_dir.string() + " --stop-iters 2 --quiet");
  expect_clean_error(resume, "train", "field 'counters.iteration'");
}

TEST_F(HostileFiles, LinksAndLoopsAreNamed) {
  fs::create_symlink("loop", dir / "loop");
  expect_clean_error(run("inspect " + (dir / "loop").string()), "inspect", "cannot access");
  const fs::path weights = policy / "weights.safetensors";
  fs::rename(weights, dir / "weights.safetensors");
  fs::create_symlink(dir / "weights.safetensors", weights);
  for (const char* command : {"inspect", "eval"}) {
    expect_clean_error(run(std::string(command) + " " + run_dir.string()), command,
                       "weights.safetensors' is a symbolic link");
  }
  fs::remove(weights);
  fs::create_symlink("weights.safetensors", weights);
  expect_clean_error(run("inspect " + run_dir.string()), "inspect",
                     "weights.safetensors' is a symbolic link");
}

TEST_F(HostileFiles, ExportOutThatCannotBeWrittenIsACleanError) {
  const fs::path file = dir / "a_file";
  write_file_atomically(file, std::string_view("x"));
  expect_clean_error(run("export " + run_dir.string() + " --format c --out " + file.string()),
                     "export", "--out");
  expect_clean_error(
      run("export " + run_dir.string() + " --format onnx --out " + (file / "p.onnx").string()),
      "export", "--out");
  expect_clean_error(
      run("export " + run_dir.string() + " --format onnx --out " + dir.path().string()), "export",
      "is a folder");
  // A read-only folder, written as `nobody` when the suite runs as root (root would write).
  const fs::path locked = dir / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  // timeout first: setpriv execs the program itself, which works wherever the build lives;
  // a `timeout` started as nobody cannot reach a build inside a root-only folder.
  const std::string as_nobody = "timeout 60 " + testing_io::unprivileged_command_prefix() +
                                testing_cli::cairn_binary() + " export " + run_dir.string();
  expect_clean_error(
      testing_cli::run_shell(as_nobody + " --format c --out " + (locked / "c").string()), "export",
      "--out");
  expect_clean_error(
      testing_cli::run_shell(as_nobody + " --format onnx --out " + (locked / "p.onnx").string()),
      "export", "locked");
  EXPECT_TRUE(fs::is_empty(locked));
}

TEST_F(HostileFiles, ConfigFilesAreParsedStrictlyWithPositions) {
  const fs::path config = dir / "config.json";
  write_file_atomically(config, std::string_view("{\n  \"gamma\": 0.9,\n  \"seed\": ,\n}\n"));
  expect_clean_error(run("train --config " + config.string() + " --stop-iters 1 --quiet"), "train",
                     "malformed JSON at line 3, column 11");
  write_file_atomically(config, std::string_view("{\"gamma\": 0.9, \"gamma\": 0.5}"));
  expect_clean_error(run("train --config " + config.string() + " --stop-iters 1 --quiet"), "train",
                     "duplicate key 'gamma'");
  write_file_atomically(config, std::string_view("[1]"));
  expect_clean_error(run("train --config " + config.string() + " --stop-iters 1 --quiet"), "train",
                     "is not a JSON object (found array)");
  fs::remove(config);
  ASSERT_EQ(::mkfifo(config.c_str(), 0600), 0);
  expect_clean_error(run("train --config " + config.string() + " --stop-iters 1 --quiet"), "train",
                     "it is a named pipe");
}

TEST_F(HostileFiles, MetricsFilesAreReadWithABound) {
  const fs::path jsonl = run_dir / "metrics.jsonl";
  fs::remove(jsonl);
  fs::create_symlink("/dev/zero", jsonl);
  expect_clean_error(run("plot " + run_dir.string()), "plot", "a character device");
  expect_clean_error(run("train --resume " + run_dir.string() + " --stop-iters 2 --quiet"), "train",
                     "a character device");
  fs::remove(jsonl);
  write_file_atomically(jsonl, std::string(2 << 20, '{') + "\n");
  const CliRun r = run("plot " + run_dir.string());
  expect_clean_error(r, "plot", "line 1 is longer than");
  EXPECT_LT(r.out.size(), 1000u);
  write_file_atomically(jsonl, std::string_view("{\"timesteps\": 1, \"timesteps\": 2}\n"));
  expect_clean_error(run("plot " + run_dir.string()), "plot", "duplicate key 'timesteps'");
}

}  // namespace
}  // namespace cairn
