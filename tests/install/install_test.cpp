// `cmake --install` gives a package that an outside project finds with find_package(cairn),
// and the `cairn` program: examples/ is built on its own against the installed headers and
// library, its programs run, and its plugin (examples/plugin/, a custom environment and a
// custom layer with its export lowering) is used by the installed program for a whole
// workflow. The installation is made once for the suite (by its first test).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::CliRun;
using testing_cli::json_of;
using testing_cli::run_shell;

// Where the suite's installation lives: one install and one build of examples/ per ctest
// run, made by InstallPackage.InstallsAndTheExamplesBuildAgainstIt, which ctest runs
// before the Install tests (it is their fixture: tests/ctest_properties.cmake), and which
// runs first when the test program is run on its own (it is defined first).
fs::path install_root() {
  return fs::path(CAIRN_BINARY_DIR) / "install_test";
}
fs::path prefix() {
  return install_root() / "prefix";
}
fs::path build() {
  return install_root() / "build";
}
fs::path built_stamp() {
  return install_root() / "built";
}

TEST(InstallPackage, InstallsAndTheExamplesBuildAgainstIt) {
  fs::remove_all(install_root());
  fs::create_directories(install_root());
  const std::string cmake = CAIRN_CMAKE_COMMAND;
  CliRun r = run_shell(cmake + " --install " + CAIRN_BINARY_DIR + " --prefix " + prefix().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = run_shell(cmake + " -S " + CAIRN_SOURCE_DIR + "/examples -B " + build().string() +
                " -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + prefix().string() +
                " -DCMAKE_CXX_COMPILER=" + CAIRN_CXX_COMPILER);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = run_shell(cmake + " --build " + build().string() + " -j2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ofstream(built_stamp()) << "made by InstallPackage.InstallsAndTheExamplesBuildAgainstIt\n";
}

class Install : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(built_stamp()))
        << "no installation in " << install_root()
        << ": InstallPackage.InstallsAndTheExamplesBuildAgainstIt makes it (ctest runs it first)";
  }

  static fs::path plugin() { return build() / "plugin/libcairn_example_plugin.so"; }
  static fs::path corridor_plugin() {
    return build() / "simple_corridor/libcairn_simple_corridor_plugin.so";
  }
  // The installed program, run with the example plugin.
  static CliRun cairn(const std::string& args) {
    return run_shell((prefix() / "bin/cairn").string() + " " + args);
  }
};

TEST_F(Install, AnOutsideProjectBuildsAndRunsAgainstTheInstalledPackage) {
  EXPECT_TRUE(fs::exists(prefix() / "include/cairn/algorithms/ppo.h"));
  EXPECT_TRUE(fs::exists(prefix() / "include/cairn/plugin.h"));
  fs::path config;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(prefix())) {
    if (e.path().filename() == "cairnConfig.cmake") config = e.path();
  }
  ASSERT_FALSE(config.empty()) << "no cairnConfig.cmake installed";
  // The package found is the installed one, not cairn's build tree.
  const std::string cache = testing_cli::read_text((build() / "CMakeCache.txt").string());
  EXPECT_NE(cache.find("cairn_DIR:PATH=" + config.parent_path().string()), std::string::npos)
      << cache.substr(0, 2000);
  // Every dependency cairn::cairn links is found by the package, not guessed by the linker.
  EXPECT_NE(cache.find("ONNX_DIR:PATH="), std::string::npos) << cache.substr(0, 2000);
  EXPECT_NE(cache.find("Protobuf_INCLUDE_DIR"), std::string::npos) << cache.substr(0, 2000);

  CliRun r = run_shell((build() / "simple_corridor/simple_corridor_rollout").string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("always-right policy: return 0.60"), std::string::npos) << r.out;
  testing_io::ScratchDir work;
  r = run_shell((build() / "corridor_guide/corridor_guide").string() + " " +
                (work / "guide_run").string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("the restored policy: return 0.60"), std::string::npos) << r.out;
}

TEST_F(Install, TheInstalledProgramRunsAWholeWorkflowWithAPluginBuiltOutsideTheTree) {
  ASSERT_TRUE(fs::exists(prefix() / "bin/cairn"));
  ASSERT_TRUE(fs::exists(plugin()));
  testing_io::ScratchDir work;
  const std::string p = " --plugin " + plugin().string();
  // A model with the plugin's custom layer, in a config file.
  const fs::path config = work / "walk.json";
  std::ofstream(config) << R"({"num_envs": 2, "num_steps": 32, "num_minibatches": 2,
    "total_timesteps": 4096, "model": {"input_size": 1, "outputs": ["pi", "vf"], "blocks": [
    {"name": "pi", "inputs": ["input"], "layers": [{"type": "dense", "units": 8},
      {"type": "scaled_tanh", "initial_scale": 0.5}, {"type": "dense", "units": 2}]},
    {"name": "vf", "inputs": ["input"], "layers": [{"type": "dense", "units": 8},
      {"type": "scaled_tanh"}, {"type": "dense", "units": 1}]}]}})";
  const fs::path run = work / "run";

  CliRun r = cairn("train" + p + " --env LineWalk-v0 --config " + config.string() +
                   " --seed 3 --stop-iters 4 --checkpoint-every 2 --eval-episodes 3 --out " +
                   run.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["final"]["iteration"], 4) << r.out;

  r = cairn("train --resume " + run.string() + " --stop-iters 6 --eval-episodes 0 --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["final"]["iteration"], 6) << r.out;

  r = cairn("eval " + run.string() + " --episodes 4 --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["env"], "LineWalk-v0") << r.out;
  EXPECT_EQ(json_of(r)["episodes"], 4) << r.out;
  EXPECT_EQ(json_of(r)["example_bit_identical"], true) << r.out;

  r = cairn("inspect " + run.string() + " --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["checksums_verified"], true) << r.out;
  // Without the plugin, the custom layer is unknown, and the error says so.
  r = cairn("inspect " + run.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown layer type \"scaled_tanh\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--plugin LIB"), std::string::npos) << r.out;

  // Exports, proven against the policy: the C compiled, ONNX run by ONNX Runtime when the
  // source tree has it installed (the ONNX test below proves the installed program finds it).
  r = cairn("export " + run.string() + " --format c --out " + (work / "c").string() +
            " --require-verified --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["status"], "verified") << r.out;
  r = cairn("export " + run.string() + " --format onnx --out " + (work / "walk.onnx").string() +
            " --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(json_of(r)["status"], "failed") << r.out;
  EXPECT_TRUE(fs::exists(work / "walk.onnx"));

  r = cairn("rollout --env LineWalk-v0 --episodes 3 --json" + p);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["rollouts"][0]["episodes"], 3) << r.out;
  r = run_shell("CAIRN_PLUGINS=" + plugin().string() + " " + (prefix() / "bin/cairn").string() +
                " envs --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"LineWalk-v0\""), std::string::npos) << r.out;
}

// An installed cairn finds the ONNX Runtime runner in its own share/cairn/onnxruntime
// (the runner script is installed there, the npm package is installed into it by the
// user: here a link to the source tree's node_modules stands for `npm ci`), before the
// source tree's; and when there is none, it says where it looked and how to install it.
TEST_F(Install, TheInstalledProgramFindsOnnxRuntimeInItsPrefix) {
  const fs::path share = prefix() / "share/cairn/onnxruntime";
  ASSERT_TRUE(fs::exists(share / "run_policy.js"));
  ASSERT_TRUE(fs::exists(share / "package-lock.json"));
  testing_io::ScratchDir work;
  // A run of the corridor, whose plugin was built outside the tree.
  CliRun r =
      (run_shell((prefix() / "bin/cairn").string() + " --plugin " + corridor_plugin().string() +
                 " train --env SimpleCorridor-v0 --stop-iters 1 --eval-episodes 0 --out " +
                 (work / "run").string() + " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string export_onnx =
      (prefix() / "bin/cairn").string() + " export " + (work / "run").string() +
      " --format onnx --random-observations 4 --json --out " + (work / "p.onnx").string();

  // None anywhere the program is told to look: unverified, saying where and how.
  r = run_shell("CAIRN_ONNXRUNTIME_DIR=" + share.string() + " " + export_onnx);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json unverified = json_of(r);
  EXPECT_EQ(unverified["status"], "unverified") << r.out;
  const std::string reason = unverified["reason"];
  EXPECT_NE(reason.find("Looked in " + share.string()), std::string::npos) << reason;
  EXPECT_NE(reason.find("cd " + share.string() + " && ONNXRUNTIME_NODE_INSTALL=skip npm ci"),
            std::string::npos)
      << reason;

  const fs::path source_modules = fs::path(CAIRN_SOURCE_DIR) / "tools/onnxruntime/node_modules";
  if (!fs::exists(source_modules / "onnxruntime-node/package.json")) {
    // scripts/setup.sh installs it: its absence is a failure, never a skip.
    GTEST_FAIL() << "onnxruntime-node is not installed in " << source_modules
                 << " (scripts/setup.sh installs it)";
  }
  fs::create_directory_symlink(fs::canonical(source_modules), share / "node_modules");
  r = run_shell(export_onnx + " --require-verified");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["status"], "verified") << r.out;
  const std::string runtime = json_of(r)["runtime"];
  // Found in the prefix, not in the source tree.
  EXPECT_NE(runtime.find("onnxruntime-node"), std::string::npos) << runtime;
  EXPECT_NE(runtime.find(" in " + (share / "node_modules").string()), std::string::npos) << runtime;
  fs::remove(share / "node_modules");
}

// The Python package lands where Debian's Python looks under the prefix
// (lib/python3.X/dist-packages) and imports from there with its compiled module. A build
// without the module (the sanitizer build) installs no package.
TEST_F(Install, ThePythonPackageImportsFromTheInstallation) {
  fs::path package;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(prefix() / "lib")) {
    if (e.path().filename() == "__init__.py" && e.path().parent_path().filename() == "cairn") {
      package = e.path().parent_path();
    }
  }
  if (!CAIRN_HAS_PYTHON_MODULE) {
    EXPECT_TRUE(package.empty()) << "a build without the Python module installed " << package;
    return;
  }
  ASSERT_FALSE(package.empty()) << "no Python package cairn installed under " << prefix();
  EXPECT_EQ(package.parent_path().filename(), "dist-packages");
  const CliRun r = run_shell("cd / && PYTHONPATH=" + package.parent_path().string() +
                             " /usr/bin/python3 -c 'import cairn; print(cairn.__file__, "
                             "cairn.PPO.algorithm, \"ppo\" in cairn.algorithm_names())' 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(package.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ppo True"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn
