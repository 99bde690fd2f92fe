// Recurrent policies exported to ONNX and C: one step with the state as explicit input and
// output, proven against Policy::compute_actions with state over sequences with episode
// starts (the recorded example's and random episodes stepped together), the proof failing
// for an export that drops the state, and `cairn export` on a saved recurrent policy.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/io/safetensors.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_io::ScratchDir;

struct RecurrentExportCase {
  const char* cell;
  bool shared;
  bool box_actions;  // Box actions with observation normalisation, else Discrete(3)
};

std::unique_ptr<Policy> recurrent_export_policy(const RecurrentExportCase& c) {
  nn::MemoryOptions memory;
  memory.cell = c.cell;
  memory.units = 8;
  memory.encoder = {16};
  memory.shared = c.shared;
  const Space actions = c.box_actions ? Space::box(-2.0f, 2.0f, {2}) : Space::discrete(3);
  const nn::Index dist_inputs = c.box_actions ? 2 : 3;
  PolicyOptions options;
  options.normalize_observations = c.box_actions;
  auto policy = std::make_unique<Policy>(
      Space::box(-5.0f, 5.0f, {4}), actions,
      nn::with_memory(nn::ppo_actor_critic(4, dist_inputs), memory), options, 3);
  Rng rng(7);
  for (float& p : policy->model().flat_parameters()) p = static_cast<float>(0.5 * rng.normal());
  for (float& v : policy->log_std()) v = static_cast<float>(rng.uniform(-1.0, 0.5));
  if (c.box_actions) {
    policy->update_observation_statistics(sample_observations(policy->observation_space(), 32, 4));
  }
  return policy;
}

// The verification options of the policy's recorded example (a sequence of 12 steps with
// an episode start in the middle, from a non-zero state) plus random episodes.
VerificationOptions recurrent_export_proof(Policy& policy) {
  const std::vector<float> obs = sample_observations(policy.observation_space(), 12, 9);
  std::vector<float> state_in(policy.state_size());
  Rng rng(3);
  for (float& v : state_in) v = static_cast<float>(rng.uniform(-0.8, 0.8));
  std::vector<int64_t> starts(12, 0);
  starts[5] = 1;
  const TensorDict example = record_policy_example(policy, obs, starts, state_in);
  VerificationOptions v;
  v.example_observations = example.values<float>("obs");
  for (int64_t f : example.values<int64_t>("episode_start")) {
    v.example_episode_starts.push_back(f != 0 ? 1 : 0);
  }
  v.example_state_in = example.values<float>("state_in");
  v.num_random_observations = 64;
  v.num_random_sequences = 4;
  return v;
}

nlohmann::json recurrent_export_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void expect_recurrent_proof(const ExportVerification& v, const Policy& policy) {
  ASSERT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
  EXPECT_EQ(v.num_example_observations, 12u);
  EXPECT_EQ(v.num_random_observations, 64u);
  EXPECT_EQ(v.num_sequences, 5u);  // the example's episode and 4 random ones
  EXPECT_GE(v.num_episode_starts, 3u);
  ASSERT_FALSE(v.outputs.empty());
  EXPECT_EQ(v.outputs.back().name, "state_out");
  EXPECT_EQ(v.outputs.back().values, 76 * policy.state_size());
  const nlohmann::json record = recurrent_export_json(v.record);
  EXPECT_EQ(record["status"], "verified");
  EXPECT_EQ(record["recurrent"]["state_size"], policy.state_size());
  EXPECT_EQ(record["recurrent"]["sequences"], 5);
}

const RecurrentExportCase kRecurrentExportCases[] = {
    {"lstm", true, false}, {"gru", false, true}, {"lstm", false, true}, {"gru", true, false}};

TEST(RecurrentExport, OnnxStepsWithStateAreProvenInOnnxRuntime) {
  for (const RecurrentExportCase& c : kRecurrentExportCases) {
    SCOPED_TRACE(std::string(c.cell) + (c.shared ? " shared" : " separate") +
                 (c.box_actions ? " box" : " discrete"));
    auto policy = recurrent_export_policy(c);
    ScratchDir dir;
    OnnxExportOptions o;
    o.verification = recurrent_export_proof(*policy);
    o.require_verification = true;
    const ExportVerification v = export_onnx(*policy, dir.path() / "p.onnx", o);
    expect_recurrent_proof(v, *policy);
  }
}

TEST(RecurrentExport, CStepsWithStateAreProvenCompiled) {
  for (const RecurrentExportCase& c : kRecurrentExportCases) {
    SCOPED_TRACE(std::string(c.cell) + (c.shared ? " shared" : " separate") +
                 (c.box_actions ? " box" : " discrete"));
    auto policy = recurrent_export_policy(c);
    ScratchDir dir;
    CExportOptions o;
    o.verification = recurrent_export_proof(*policy);
    o.require_verification = true;
    const ExportVerification v = export_c(*policy, dir.path(), o);
    expect_recurrent_proof(v, *policy);
    std::ifstream in(dir.path() / "cairn_policy.h");
    std::stringstream header;
    header << in.rdbuf();
    EXPECT_NE(header.str().find("#define CAIRN_POLICY_STATE_SIZE " +
                                std::to_string(policy->state_size())),
              std::string::npos);
    EXPECT_NE(header.str().find("int cairn_policy_step("), std::string::npos);
    EXPECT_NE(header.str().find("void cairn_policy_initial_state(cairn_policy_state *state);"),
              std::string::npos);
    // Warning-free under the strictest flags the other C tests use, with gcc and clang.
    for (const std::string cc : {"gcc", "clang"}) {
      if (std::system(("command -v " + cc + " >/dev/null 2>&1").c_str()) != 0) continue;
      const std::string cmd =
          cc +
          " -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Wshadow -Wconversion "
          "-Wdouble-promotion -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -c " +
          (dir.path() / "cairn_policy.c").string() + " -o " +
          (dir.path() / ("p_" + cc + ".o")).string() + " >" + (dir.path() / "cc.log").string() +
          " 2>&1";
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
      std::ifstream log(dir.path() / "cc.log");
      std::stringstream diagnostics;
      diagnostics << log.rdbuf();
      EXPECT_EQ(diagnostics.str(), "") << cmd;
    }
  }
}

TEST(RecurrentExport, OnnxThatIgnoresTheStateFailsTheProof) {
  auto policy = recurrent_export_policy({"lstm", true, false});
  ScratchDir dir;
  OnnxExportOptions o;
  o.verification = recurrent_export_proof(*policy);
  o.testing_ignore_state_in = true;
  const auto path = dir.path() / "dropped.onnx";
  try {
    export_onnx(*policy, path, o);
    FAIL() << "an export ignoring the state passed the proof";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed verification"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("state_out differs from the policy"), std::string::npos)
        << e.what();
  }
  const nlohmann::json record = recurrent_export_json(path.string() + ".verification.json");
  EXPECT_EQ(record["status"], "failed");
  o.testing_ignore_state_in = false;
  const ExportVerification v = verify_onnx(*policy, path, o);
  EXPECT_EQ(v.status, VerificationStatus::kFailed);
}

TEST(RecurrentExport, CThatIgnoresTheStateFailsTheProof) {
  auto policy = recurrent_export_policy({"gru", false, true});
  ScratchDir dir;
  CExportOptions o;
  o.verification = recurrent_export_proof(*policy);
  o.require_verification = true;
  ASSERT_TRUE(export_c(*policy, dir.path(), o).verified());
  // Hand-edit the step function to start every step from zeros (the state dropped).
  const auto source = dir.path() / "cairn_policy.c";
  std::ifstream in(source);
  std::stringstream text;
  text << in.rdbuf();
  std::string code = text.str();
  const std::string carried = "state[i] = episode_start ? 0.0f : state_in->values[i];";
  const size_t at = code.find(carried);
  ASSERT_NE(at, std::string::npos);
  code.replace(at, carried.size(), "state[i] = episode_start ? 0.0f : 0.0f * state_in->values[i];");
  std::ofstream(source) << code;
  const ExportVerification v = verify_c(*policy, dir.path(), o);
  EXPECT_EQ(v.status, VerificationStatus::kFailed) << v.summary();
  EXPECT_NE(v.reason.find("state_out differs from the policy"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("dist_inputs differs from the policy"), std::string::npos) << v.reason;
}

TEST(RecurrentExport, CliExportsASavedRecurrentPolicy) {
  auto policy = recurrent_export_policy({"lstm", false, false});
  ScratchDir dir;
  const auto folder = dir.path() / "policy";
  policy->save(folder);
  const std::string onnx = (dir.path() / "p.onnx").string();
  testing_cli::CliRun r = testing_cli::run_cli("export " + folder.string() +
                                               " --format onnx --require-verified --out " + onnx);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("ONNX export: verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recurrent: " + std::to_string(policy->state_size()) + " values of state"),
            std::string::npos)
      << r.out;
  r = testing_cli::run_cli("export " + folder.string() + " --format c --require-verified --out " +
                           (dir.path() / "c").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = testing_cli::json_of(r);
  EXPECT_EQ(j["status"], "verified");
  EXPECT_EQ(j["recurrent"]["state_size"], policy->state_size());
  // The recorded example (one sequence) is part of the proof.
  EXPECT_GT(j["observations"]["example"].get<int>(), 0);
}

}  // namespace
}  // namespace cairn
