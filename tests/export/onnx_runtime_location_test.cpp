// locate_onnxruntime: $CAIRN_ONNXRUNTIME_DIR is authoritative, and a runtime that is not
// found is reported with every folder looked in and how to install the package there.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cairn/export/onnx_runtime.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the scope of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty()) {
      unsetenv(name_);
    } else {
      setenv(name_, old_.c_str(), 1);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
};

TEST(OnnxRuntimeLocation, AChosenFolderIsTheOnlyOneAndAMissingPackageSaysHowToInstallIt) {
  testing_io::ScratchDir dir;
  std::ofstream(dir / "run_policy.js") << "// runner\n";
  const ScopedEnv chosen("CAIRN_ONNXRUNTIME_DIR", dir.path().string());
  const ScopedEnv no_modules("CAIRN_ONNXRUNTIME_NODE_DIR", "");
  const ScopedEnv no_runner("CAIRN_ONNXRUNTIME_RUNNER", "");
  const OnnxRuntimeLocation loc = locate_onnxruntime();
  EXPECT_FALSE(loc.available);
  EXPECT_EQ(loc.runner_script, dir / "run_policy.js");
  EXPECT_EQ(loc.node_modules_dir, dir / "node_modules");
  EXPECT_NE(loc.reason.find("Looked in " + dir.path().string() + " ($CAIRN_ONNXRUNTIME_DIR)"),
            std::string::npos)
      << loc.reason;
  EXPECT_NE(loc.reason.find("cd " + dir.path().string() +
                            " && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts"),
            std::string::npos)
      << loc.reason;

  // With the package there, it is found there (and nowhere else is looked at).
  fs::create_directories(dir / "node_modules/onnxruntime-node");
  std::ofstream(dir / "node_modules/onnxruntime-node/package.json") << R"({"version": "9.9.9"})";
  const OnnxRuntimeLocation found = locate_onnxruntime({.node = "sh"});
  EXPECT_TRUE(found.available) << found.reason;
  EXPECT_EQ(found.version, "9.9.9");
  EXPECT_EQ(found.node_modules_dir, dir / "node_modules");
}

}  // namespace
}  // namespace cairn
