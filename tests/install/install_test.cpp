// `cmake --install` gives a package that an outside project finds with find_package(cairn):
// examples/ is built on its own against the installed headers and library, and run.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::CliRun;
using testing_cli::run_shell;

TEST(Install, AnOutsideProjectBuildsAndRunsAgainstTheInstalledPackage) {
  testing_io::ScratchDir dir;
  const std::string cmake = CAIRN_CMAKE_COMMAND;
  const fs::path prefix = dir / "prefix", build = dir / "build";
  CliRun r = run_shell(cmake + " --install " + CAIRN_BINARY_DIR + " --prefix " + prefix.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(prefix / "include/cairn/algorithms/ppo.h"));
  fs::path config;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(prefix)) {
    if (e.path().filename() == "cairnConfig.cmake") config = e.path();
  }
  ASSERT_FALSE(config.empty()) << "no cairnConfig.cmake installed";

  r = run_shell(cmake + " -S " + CAIRN_SOURCE_DIR + "/examples -B " + build.string() +
                " -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + prefix.string() +
                " -DCMAKE_CXX_COMPILER=" + CAIRN_CXX_COMPILER);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The package found is the installed one, not cairn's build tree.
  const std::string cache = testing_cli::read_text((build / "CMakeCache.txt").string());
  EXPECT_NE(cache.find("cairn_DIR:PATH=" + config.parent_path().string()), std::string::npos)
      << cache.substr(0, 2000);
  r = run_shell(cmake + " --build " + build.string() + " -j2");
  ASSERT_EQ(r.exit_code, 0) << r.out;

  r = run_shell((build / "simple_corridor/simple_corridor_rollout").string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("always-right policy: return 0.60"), std::string::npos) << r.out;
  r = run_shell((build / "corridor_guide/corridor_guide").string() + " " + (dir / "run").string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("the restored policy: return 0.60"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn
