// `cairn --plugin LIB` and $CAIRN_PLUGINS: user environments and layers in every command,
// and a clear one-line error naming the library for everything that is not a good plugin.
// The plugins here are compiled by the test (a few lines each); the example plugin
// (examples/plugin/) is built with the program. tests/install/ runs the whole workflow with
// a plugin built outside the tree against an installed cairn.
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
using testing_cli::run_cli;
using testing_cli::run_shell;

const std::string kExamplePlugin =
    std::string(CAIRN_BINARY_DIR) + "/examples/plugin/libcairn_example_plugin.so";
// examples/simple_corridor/'s plugin (tests/CMakeLists.txt passes its path).
const std::string kCorridorPlugin = CAIRN_SIMPLE_CORRIDOR_PLUGIN;

// Compiles `source` into the shared library `dir/name.so` with cairn's headers and
// `defines`, and returns its path.
std::string build_plugin(
    const fs::path& dir, const std::string& name, const std::string& source,
    const std::string& defines = "-DCAIRN_VERSION_STRING='\"" CAIRN_VERSION_STRING "\"'") {
  const fs::path cpp = dir / (name + ".cpp"), so = dir / (name + ".so");
  std::ofstream(cpp) << source;
  const CliRun r = run_shell(std::string(CAIRN_CXX_COMPILER) + " -std=c++20 -shared -fPIC -I" +
                             CAIRN_SOURCE_DIR + "/include " + defines + " " + cpp.string() +
                             " -o " + so.string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return so.string();
}

TEST(CliPlugin, TheExamplePluginsEnvironmentIsKnownToEveryCommand) {
  ASSERT_TRUE(fs::exists(kExamplePlugin)) << kExamplePlugin;
  CliRun r = run_cli("envs --json --plugin " + kExamplePlugin);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  bool listed = false;
  const nlohmann::json envs = json_of(r);
  for (const auto& e : envs["environments"]) listed |= e["id"] == "LineWalk-v0";
  EXPECT_TRUE(listed) << r.out;
  // Before the command, as --plugin=LIB, and from the environment (the same library twice
  // is loaded once, not registered twice).
  r = run_cli("--plugin=" + kExamplePlugin + " rollout --env LineWalk-v0 --episodes 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["rollouts"][0]["env"], "LineWalk-v0") << r.out;
  r = run_shell("CAIRN_PLUGINS=" + kExamplePlugin + " " + testing_cli::cairn_binary() +
                " config show ppo --env LineWalk-v0 --json --plugin " + kExamplePlugin);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["env_id"], "LineWalk-v0") << r.out;
  // Without it, the id is unknown, and the error points to plugins.
  r = run_cli("rollout --env LineWalk-v0 --episodes 1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown environment id 'LineWalk-v0'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from a plugin: --plugin LIB"), std::string::npos) << r.out;
  EXPECT_EQ(testing_cli::lines_of(r.out).size(), 1u) << r.out;
}

// The program does not know the example environment: SimpleCorridor reaches it as any
// user's environment does, through its plugin, and trains with its tuned preset.
TEST(CliPlugin, SimpleCorridorReachesTheProgramOnlyThroughItsPlugin) {
  ASSERT_TRUE(fs::exists(kCorridorPlugin)) << kCorridorPlugin;
  CliRun r = run_cli("envs --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json listed = json_of(r);  // kept alive for the loop
  for (const auto& e : listed["environments"]) EXPECT_NE(e["id"], "SimpleCorridor-v0");
  r = run_cli("rollout --env SimpleCorridor-v0 --episodes 1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown environment id 'SimpleCorridor-v0'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("from a plugin: --plugin LIB"), std::string::npos) << r.out;

  testing_io::ScratchDir dir;
  const fs::path run = dir / "run";
  r = run_cli("train --plugin " + kCorridorPlugin +
              " --env SimpleCorridor-v0 --stop-iters 1 --eval-episodes 2 --out " + run.string() +
              " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json trained = json_of(r);
  EXPECT_EQ(trained["config"]["env_id"], "SimpleCorridor-v0") << r.out;
  r = run_cli("config show ppo --env SimpleCorridor-v0 --json --plugin " + kCorridorPlugin);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(trained["config"], json_of(r)) << "trained with the tuned preset";
  EXPECT_EQ(trained["final"]["iteration"], 1) << r.out;
  r = run_shell("CAIRN_PLUGINS=" + kCorridorPlugin + " " + testing_cli::cairn_binary() + " eval " +
                run.string() + " --episodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["env"], "SimpleCorridor-v0") << r.out;
  EXPECT_EQ(json_of(r)["episodes"], 2) << r.out;
}

TEST(CliPlugin, AMissingOrForeignFileIsOneErrorNamingIt) {
  testing_io::ScratchDir dir;
  CliRun r = run_cli("eval somewhere --plugin " + (dir / "nope.so").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out, "cairn eval: error: plugin '" + (dir / "nope.so").string() +
                       "': no such file (give the path of the plugin's shared library)\n");
  std::ofstream(dir / "text.so") << "not a library\n";
  r = run_cli("envs --plugin " + (dir / "text.so").string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(
      r.out.rfind(
          "cairn envs: error: plugin '" + (dir / "text.so").string() + "': cannot load it: ", 0),
      0u)
      << r.out;
  EXPECT_EQ(testing_cli::lines_of(r.out).size(), 1u) << r.out;
  r = run_cli("envs --plugin");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out, "cairn envs: error: --plugin needs a value: the plugin's shared library\n");
  r = run_shell("CAIRN_PLUGINS=" + (dir / "gone.so").string() + " " + testing_cli::cairn_binary() +
                " envs");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("plugin '" + (dir / "gone.so").string() + "': no such file"),
            std::string::npos)
      << r.out;
}

TEST(CliPlugin, ALibraryThatIsNoGoodPluginIsRefusedNamingIt) {
  testing_io::ScratchDir dir;
  // No entry points.
  const std::string plain =
      build_plugin(dir.path(), "plain", "extern \"C\" int answer() { return 42; }\n");
  CliRun r = run_cli("envs --plugin " + plain);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out, "cairn envs: error: plugin '" + plain +
                       "': not a cairn plugin (no cairn_plugin_abi function; define the entry "
                       "points with CAIRN_PLUGIN_REGISTER() from cairn/plugin.h)\n");

  // Built against another cairn version: refused before its registration runs.
  const std::string old =
      build_plugin(dir.path(), "old",
                   "#include <cstdio>\n#include \"cairn/plugin.h\"\n"
                   "CAIRN_PLUGIN_REGISTER() { std::puts(\"registration ran\"); }\n",
                   "-DCAIRN_VERSION_STRING='\"0.0.1\"'");
  r = run_cli("envs --plugin " + old);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out.find("registration ran"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cairn envs: error: plugin '" + old + "': built for cairn 0.0.1; "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(", but this program is cairn " CAIRN_VERSION_STRING "; "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("; rebuild the plugin against this cairn\n"), std::string::npos) << r.out;

  // A registration that throws.
  const std::string throwing =
      build_plugin(dir.path(), "throwing",
                   "#include \"cairn/error.h\"\n#include \"cairn/plugin.h\"\n"
                   "CAIRN_PLUGIN_REGISTER() { throw cairn::Error(\"MyEnv-v0: no data file\"); }\n");
  r = run_cli("train --plugin " + throwing + " --env MyEnv-v0");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out, "cairn train: error: plugin '" + throwing +
                       "': its registration failed: MyEnv-v0: no data file\n");

  // A plugin calling a function cairn does not have is refused at load, not at the call.
  const std::string unresolved = build_plugin(dir.path(), "unresolved",
                                              "#include \"cairn/plugin.h\"\nvoid not_in_cairn();\n"
                                              "CAIRN_PLUGIN_REGISTER() { not_in_cairn(); }\n");
  r = run_cli("envs --plugin " + unresolved);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot load it: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("undefined symbol"), std::string::npos) << r.out;
  EXPECT_EQ(testing_cli::lines_of(r.out).size(), 1u) << r.out;
}

TEST(CliPlugin, EvalRefusesANonFiniteRewardNamingTheEnvironmentAndStep) {
  testing_io::ScratchDir dir;
  // CartPole's spaces, a NaN reward at step 3: eval must not print NaN as a score.
  const std::string so = build_plugin(dir.path(), "nan_reward", R"(
#include <cmath>
#include <memory>
#include <optional>
#include "cairn/env/env.h"
#include "cairn/env/env_registry.h"
#include "cairn/plugin.h"
namespace {
class NanReward : public cairn::Env {
 public:
  NanReward()
      : cairn::Env(cairn::make("CartPole-v1")->observation_space(), cairn::Space::discrete(2)) {}
 protected:
  void do_reset(std::optional<uint64_t>, std::span<float> obs) override {
    steps_ = 0;
    for (float& o : obs) o = 0.0f;
  }
  cairn::StepResult do_step(cairn::ActionRef, std::span<float> obs) override {
    for (float& o : obs) o = 0.0f;
    return {++steps_ == 3 ? std::nan("") : 1.0, false, false};
  }
 private:
  int steps_ = 0;
};
}  // namespace
CAIRN_PLUGIN_REGISTER() {
  cairn::register_env({.id = "NanReward-v0",
                       .factory = [](cairn::EnvOptions&) { return std::make_unique<NanReward>(); },
                       .max_episode_steps = 10});
}
)");
  const fs::path run = dir / "run";
  ASSERT_EQ(
      run_cli("train --stop-iters 1 --eval-episodes 0 --quiet --out " + run.string()).exit_code, 0);
  const CliRun r =
      run_cli("eval " + run.string() + " --env NanReward-v0 --episodes 2 --plugin " + so);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(testing_cli::lines_of(r.out).size(), 1u) << r.out;
  EXPECT_NE(r.out.find("environment 'NanReward-v0' returned a non-finite reward (nan) at step 3 "
                       "of episode 1"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace cairn
