// cairn's own MJCF models (src/env/mujoco/models/) against Gymnasium's originals
// (../shared/reference/gymnasium-mujoco/): both are compiled with MuJoCo and the compiled
// models must be equal in every size and every numeric array of mjModel (MuJoCo's own list,
// mjxmacro.h's MJMODEL_INTS and MJMODEL_POINTERS), the physics options and the statistics
// the solver uses. Only names (their buffer's size nnames, the addresses into it, and the
// total buffer size nbuffer that includes them) may differ.
#include <gtest/gtest.h>

#if CAIRN_HAVE_MUJOCO
#include <mujoco/mjxmacro.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cairn/env/mujoco/mujoco_env.h"
#include "error_matchers.h"

namespace cairn {
namespace {

// Gymnasium's model `file`: in ../shared/reference/gymnasium-mujoco/, or the folder named by
// the environment variable CAIRN_GYMNASIUM_MUJOCO_REFERENCE.
std::string mujoco_reference_model(const std::string& file) {
  if (const char* p = std::getenv("CAIRN_GYMNASIUM_MUJOCO_REFERENCE"); p && *p) {
    return std::string(p) + "/" + file;
  }
  return CAIRN_SHARED_DIR "/reference/gymnasium-mujoco/" + file;
}

// Appends to `diffs` every difference between the compiled models a and b.
void compare_models(const mjModel& a, const mjModel& b, std::string& diffs) {
  auto note = [&](const std::string& what) { diffs += what + "\n"; };
#define X(name)                                                                              \
  if (std::string(#name) != "nnames" && std::string(#name) != "nbuffer" && a.name != b.name) \
    note(std::string(#name) + ": " + std::to_string(a.name) + " vs " + std::to_string(b.name));
  MJMODEL_INTS
#undef X
  if (!diffs.empty()) return;  // arrays of different sizes are not compared
  {
    const mjModel* m = &a;
    MJMODEL_POINTERS_PREAMBLE(m)
#define X(type, name, rows, cols)                                                               \
  if (std::strncmp(#name, "name", 4) != 0) {                                                    \
    const size_t n = static_cast<size_t>(a.rows) * static_cast<size_t>(cols);                   \
    for (size_t i = 0; i < n; ++i) {                                                            \
      if (std::memcmp(&a.name[i], &b.name[i], sizeof(type)) != 0) {                             \
        note(std::string(#name) + "[" + std::to_string(i) + "]: " + std::to_string(a.name[i]) + \
             " vs " + std::to_string(b.name[i]));                                               \
        break;                                                                                  \
      }                                                                                         \
    }                                                                                           \
  }
    MJMODEL_POINTERS
#undef X
        (void)
    nuser_body, (void)nuser_jnt, (void)nuser_geom, (void)nuser_site, (void)nuser_cam;
    (void)nuser_tendon, (void)nuser_actuator, (void)nuser_sensor, (void)nq, (void)nv, (void)na;
    (void)nu, (void)nmocap;
  }
#define X(type, name) \
  if (a.opt.name != b.opt.name) note("opt." #name);
  MJOPTION_SCALARS
#undef X
#define X(name, n) \
  if (std::memcmp(a.opt.name, b.opt.name, sizeof a.opt.name) != 0) note("opt." #name);
  MJOPTION_VECTORS
#undef X
  if (std::memcmp(&a.stat, &b.stat, sizeof a.stat) != 0) note("stat (meaninertia, ...)");
}

// Gymnasium's file for cairn's built-in model `file`: the same name, except where Gymnasium's
// v5 model has its own file (pusher_v5.xml, walker2d_v5.xml).
std::string reference_file_for(const std::string& file) {
  const std::string stem = file.substr(0, file.size() - 4);  // without ".xml"
  const std::string v5 = mujoco_reference_model(stem + "_v5.xml");
  return std::filesystem::exists(v5) ? v5 : mujoco_reference_model(file);
}

class MujocoModelEquality : public ::testing::TestWithParam<std::string> {};

// Every built-in model is compared: a model added to src/env/mujoco/models/ is covered
// without editing this test.
TEST_P(MujocoModelEquality, CairnsModelCompilesToGymnasiumsModel) {
  const std::string file = GetParam();
  const MjModelPtr cairn_model = load_mjcf_text(builtin_mjcf(file), file);
  const MjModelPtr reference = load_mjcf_file(reference_file_for(file));
  std::string diffs;
  compare_models(*cairn_model, *reference, diffs);
  EXPECT_TRUE(diffs.empty()) << file << " differs from Gymnasium's in:\n" << diffs;
  EXPECT_GT(cairn_model->nq, 0);
}

INSTANTIATE_TEST_SUITE_P(Builtin, MujocoModelEquality, ::testing::ValuesIn(builtin_mjcf_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           // "inverted_pendulum.xml" -> "InvertedPendulum"
                           std::string camel;
                           bool upper = true;
                           for (char c : param_info.param.substr(0, param_info.param.size() - 4)) {
                             if (c == '_') {
                               upper = true;
                             } else {
                               camel += upper ? static_cast<char>(std::toupper(c)) : c;
                               upper = false;
                             }
                           }
                           return camel;
                         });

TEST(MujocoModelEqualityCoverage, EveryGymnasiumTaskHasABuiltinModel) {
  const std::vector<std::string> names = builtin_mjcf_names();
  EXPECT_GE(names.size(), 2u);
  for (const std::string& n : names)
    EXPECT_TRUE(std::filesystem::exists(reference_file_for(n))) << n;
}

// The comparison is not vacuous: a changed physical parameter is found.
TEST(MujocoModelEqualityCheck, FindsAChangedParameter) {
  std::string xml(builtin_mjcf("inverted_pendulum.xml"));
  const std::string from = "gear=\"100\"";
  ASSERT_NE(xml.find(from), std::string::npos);
  xml.replace(xml.find(from), from.size(), "gear=\"101\"");
  const MjModelPtr changed = load_mjcf_text(xml, "changed.xml");
  const MjModelPtr reference = load_mjcf_file(mujoco_reference_model("inverted_pendulum.xml"));
  std::string diffs;
  compare_models(*changed, *reference, diffs);
  EXPECT_NE(diffs.find("actuator_gear[0]"), std::string::npos) << diffs;
}

TEST(MujocoModelLoading, ErrorsNameTheModel) {
  EXPECT_ERROR_CONTAINS(load_mjcf_file("/nonexistent/robot.xml"), "/nonexistent/robot.xml");
  EXPECT_ERROR_CONTAINS(load_mjcf_text("<mujoco><worldbody><body></mujoco>", "broken.xml"),
                        "MuJoCo cannot compile the model broken.xml");
  EXPECT_ERROR_CONTAINS(builtin_mjcf("no_such_robot.xml"), "'no_such_robot.xml'; known: ");
  EXPECT_ERROR_CONTAINS(builtin_mjcf("no_such_robot.xml"), "inverted_pendulum.xml");
}

}  // namespace
}  // namespace cairn

#else  // MuJoCo missing: the tests fail, never skip (scripts/setup.sh installs it).
TEST(MujocoModelEquality, MujocoIsInstalled) {
  FAIL() << "cairn was built without MuJoCo: install libmujoco-dev (scripts/setup.sh test) and "
            "configure again";
}
#endif
