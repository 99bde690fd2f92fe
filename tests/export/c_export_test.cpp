// C export: every test policy is exported as C, compiled with the system compiler into
// a harness and proven against the policy; the code also compiles warning-free with
// GCC and Clang in strict C99.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cairn/error.h"
#include "cairn/export/c_export.h"
#include "cairn/export/layer_lowering.h"
#include "error_matchers.h"
#include "export/export_test_policies.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using export_testing::cartpole_policy;
using export_testing::example_observations;
using export_testing::founding_story_policy;
using export_testing::multi_discrete_policy;
using export_testing::pendulum_policy;
using testing_io::ScratchDir;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

bool have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command; returns its exit status and puts its output in `output`.
int run(const std::string& command, std::string& output, const std::filesystem::path& log) {
  const int rc = std::system((command + " >" + log.string() + " 2>&1").c_str());
  output = read_text(log);
  return rc;
}

CExportOptions options_for(const Policy& policy) {
  CExportOptions o;
  o.verification.example_observations = example_observations(policy);
  o.verification.num_random_observations = 64;
  o.require_verification = true;  // a C compiler is part of the build setup
  return o;
}

void expect_verified(const ExportVerification& v, size_t num_outputs) {
  EXPECT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
  EXPECT_EQ(v.format, "c");
  EXPECT_EQ(v.outputs.size(), num_outputs);
  for (const OutputDeviation& o : v.outputs) {
    EXPECT_TRUE(o.verified) << o.name;
    EXPECT_GT(o.values, 0u) << o.name;
    EXPECT_LE(o.max_rel_deviation, 1e-5) << o.name;
  }
  const nlohmann::json record = read_json(v.record);
  EXPECT_EQ(record["status"], "verified");
  EXPECT_EQ(record["format"], "c");
  EXPECT_EQ(record["observations"]["random"], 64);
}

// Strict C99 with both compilers, as the issue demands, plus extra warnings.
void expect_compiles_cleanly(const std::filesystem::path& dir, const std::string& base) {
  for (const std::string cc : {"gcc", "clang"}) {
    if (!have(cc)) {
      ADD_FAILURE() << cc << " is not installed (scripts/setup.sh test installs it)";
      continue;
    }
    for (const std::string flags :
         {"-std=c99 -Wall -Wextra -Werror",
          "-std=c99 -O2 -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion "
          "-Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual"}) {
      std::string out;
      const std::string cmd = cc + " " + flags + " -c " + (dir / (base + ".c")).string() + " -o " +
                              (dir / (base + "_" + cc + ".o")).string();
      EXPECT_EQ(run(cmd, out, dir / "cc.log"), 0) << cmd << "\n" << out;
      EXPECT_EQ(out, "") << cmd;
    }
  }
}

void export_and_prove(const Policy& policy) {
  ScratchDir dir;
  const ExportVerification v = export_c(policy, dir.path(), options_for(policy));
  expect_verified(v, policy.distribution().is_discrete() ? 3 : 4);
  EXPECT_EQ(v.record, dir / "cairn_policy.verification.json");
  ASSERT_EQ(v.files.size(), 2u);
  expect_compiles_cleanly(dir.path(), "cairn_policy");

  // Dependency-free and allocation-free: <math.h> is the only system header, and no
  // allocation function appears.
  const std::string c = read_text(dir / "cairn_policy.c");
  const std::string h = read_text(dir / "cairn_policy.h");
  // (A plain scan: std::regex trips GCC 12 -Wmaybe-uninitialized false positives under ASan.)
  std::vector<std::string> includes;
  for (const std::string* text : {&c, &h}) {
    for (size_t at = text->find("#include"); at != std::string::npos;
         at = text->find("#include", at + 1)) {
      const size_t open = text->find_first_of("<\"", at);
      const size_t close = text->find_first_of(">\"", open + 1);
      includes.push_back(text->substr(open + 1, close - open - 1));
    }
  }
  EXPECT_EQ(includes, (std::vector<std::string>{"cairn_policy.h", "math.h"}));
  for (const char* f : {"malloc", "calloc", "realloc", "alloca", "free("}) {
    EXPECT_EQ(c.find(f), std::string::npos) << f;
  }
  // Weights as exact hexadecimal literals, and the documented entry points.
  EXPECT_NE(c.find("0x1."), std::string::npos);
  EXPECT_NE(h.find("int cairn_policy_act(const float obs[CAIRN_POLICY_OBS_SIZE]"),
            std::string::npos);
  EXPECT_NE(h.find("int cairn_policy_evaluate("), std::string::npos);
}

TEST(CExport, CartPolePolicyIsProvenCompiled) {
  export_and_prove(cartpole_policy());
}

TEST(CExport, PendulumPolicyWithNormalisationAndClippedGaussian) {
  export_and_prove(pendulum_policy());
}

TEST(CExport, OneHotObservationsMultiDiscreteActionsEveryLayer) {
  export_and_prove(multi_discrete_policy());
}

TEST(CExport, MultiDiscreteObservationsHalfBoundedBoxActionsSharedTrunk) {
  export_and_prove(export_testing::mixed_policy());
}

TEST(CExport, FoundingStoryModel) {
  export_and_prove(founding_story_policy());
}

TEST(CExport, FloatLiteralsAreExact) {
  Rng rng(5);
  std::vector<float> values = {0.0f,           -0.0f, 1.0f,       -2.5f, 1e-45f, 1.17549435e-38f,
                               3.40282347e38f, 0.1f,  1.0f / 3.0f};
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<float>(rng.normal() * 1e3));
  for (float v : values) {
    const std::string lit = nn::c_float_literal(v);
    ASSERT_EQ(lit.back(), 'f') << lit;
    const float back = std::strtof(lit.substr(0, lit.size() - 1).c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&back, &v, sizeof v), 0) << lit;
  }
  EXPECT_EQ(nn::c_float_literal(INFINITY), "HUGE_VALF");
  EXPECT_EQ(nn::c_float_literal(-INFINITY), "(-HUGE_VALF)");
  EXPECT_EQ(nn::c_float_literal(NAN), "NAN");
}

TEST(CExport, CustomBaseNamePrefixesEverything) {
  const Policy policy = pendulum_policy();
  ScratchDir dir;
  CExportOptions o = options_for(policy);
  o.base_name = "pendulum_ctrl";
  const ExportVerification v = export_c(policy, dir.path(), o);
  EXPECT_TRUE(v.verified()) << v.summary();
  const std::string h = read_text(dir / "pendulum_ctrl.h");
  EXPECT_NE(h.find("#define PENDULUM_CTRL_OBS_SIZE 3"), std::string::npos);
  EXPECT_NE(h.find("typedef float pendulum_ctrl_action_t;"), std::string::npos);
  EXPECT_NE(h.find("extern const float pendulum_ctrl_log_std[PENDULUM_CTRL_ACTION_SIZE];"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "pendulum_ctrl.verification.json"));

  o.base_name = "9lives";
  EXPECT_ERROR_CONTAINS(export_c(policy, dir.path(), o), "\"9lives\" is not a C identifier");
}

TEST(CExport, UnwritableDirectoryIsNamed) {
  const Policy policy = cartpole_policy();
  const std::string dir = "/nonexistent-cairn-dir/c";
  EXPECT_ERROR_CONTAINS(export_c(policy, dir), "cannot write " + dir + "/cairn_policy.h");
}

TEST(CExport, TamperedWeightFailsVerification) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  ASSERT_TRUE(export_c(policy, dir.path(), options_for(policy)).verified());
  // Change the first literal of the policy head's bias ("pi/dense_2/bias [2]").
  const auto path = dir / "cairn_policy.c";
  std::string c = read_text(path);
  const size_t at = c.find("/* pi/dense_2/bias [2] */");
  ASSERT_NE(at, std::string::npos);
  const size_t lit = c.find("0x", at);
  ASSERT_NE(lit, std::string::npos);
  c.replace(lit, 2, "0.5f + 0x");
  std::ofstream(path) << c;

  const ExportVerification v = verify_c(policy, dir.path(), options_for(policy));
  EXPECT_EQ(v.status, VerificationStatus::kFailed) << v.summary();
  EXPECT_NE(v.reason.find("dist_inputs differs from the policy"), std::string::npos) << v.reason;
  const nlohmann::json record = read_json(dir / "cairn_policy.verification.json");
  EXPECT_EQ(record["status"], "failed");
  EXPECT_EQ(record["verified"], false);
}

TEST(CExport, CodeThatDoesNotCompileFailsVerification) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  ASSERT_TRUE(export_c(policy, dir.path(), options_for(policy)).verified());
  std::ofstream(dir / "cairn_policy.c", std::ios::app)
      << "static int unused_function(void) { return 1; }\n";
  const ExportVerification v = verify_c(policy, dir.path(), options_for(policy));
  EXPECT_EQ(v.status, VerificationStatus::kFailed);
  EXPECT_NE(v.reason.find("does not compile cleanly"), std::string::npos) << v.reason;
}

TEST(CExport, MissingCompilerIsRecordedAsUnverified) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  CExportOptions o;
  o.compiler.command = "/nonexistent/cc";
  const ExportVerification v = export_c(policy, dir.path(), o);
  EXPECT_EQ(v.status, VerificationStatus::kUnverified);
  EXPECT_NE(v.reason.find("no C compiler"), std::string::npos) << v.reason;
  EXPECT_EQ(read_json(dir / "cairn_policy.verification.json")["verified"], false);
  o.require_verification = true;
  EXPECT_ERROR_CONTAINS(export_c(policy, dir.path(), o), "could not be verified");
}

TEST(CExport, ValueNetworkRunsOnlyWhenAsked) {
  // The generated evaluate() guards the value-only layers with `if (value)`.
  const CSource src = generate_c(cartpole_policy());
  const size_t guard = src.source.find("if (value) {");
  ASSERT_NE(guard, std::string::npos);
  EXPECT_GT(src.source.find("/* vf/dense_0:"), guard);
  EXPECT_LT(src.source.find("/* pi/dense_0:"), guard);
}

}  // namespace
}  // namespace cairn
