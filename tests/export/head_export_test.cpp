// Exports of the SAC, TD3 and DQN policy heads: each is exported to ONNX (proven in ONNX
// Runtime) and to C (compiled and proven), with the recorded example's observations and
// fresh ones, exactly as the PPO policies are; the interface carries no "value" (these
// heads have none) and no "log_std".
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include <onnx/onnx_pb.h>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "export/export_test_policies.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

using testing_io::ScratchDir;

std::vector<Policy> head_policies() {
  std::vector<Policy> p;
  p.push_back(export_testing::squashed_gaussian_policy());
  p.push_back(export_testing::deterministic_policy());
  p.push_back(export_testing::greedy_q_policy());
  return p;
}

// The recorded example's observations (what a policy folder carries), then hand-picked ones.
std::vector<float> proof_observations(Policy& policy) {
  std::vector<float> obs = sample_observations(policy.observation_space(), 16, 0);
  const std::vector<float> extra = export_testing::example_observations(policy);
  obs.insert(obs.end(), extra.begin(), extra.end());
  return obs;
}

void expect_proven(const ExportVerification& v, const std::string& format) {
  EXPECT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
  EXPECT_EQ(v.format, format);
  EXPECT_EQ(v.num_random_observations, 64u);
  ASSERT_EQ(v.outputs.size(), 2u) << v.summary();  // action and dist_inputs
  EXPECT_EQ(v.outputs[0].name, "action");
  EXPECT_EQ(v.outputs[1].name, "dist_inputs");
  for (const OutputDeviation& o : v.outputs) {
    EXPECT_TRUE(o.verified) << o.name;
    EXPECT_EQ(o.mismatches, 0u) << o.name;
    EXPECT_GT(o.values, 0u) << o.name;
    EXPECT_LE(o.max_rel_deviation, 1e-5) << o.name;
  }
}

TEST(HeadExport, OnnxCarriesEveryHeadsDeterministicPathAndIsProvenInOnnxRuntime) {
  for (Policy& policy : head_policies()) {
    SCOPED_TRACE(to_string(policy.head()));
    ScratchDir dir;
    OnnxExportOptions o;
    o.verification.example_observations = proof_observations(policy);
    o.verification.num_random_observations = 64;
    o.require_verification = true;
    const ExportVerification v = export_onnx(policy, dir / "policy.onnx", o);
    expect_proven(v, "onnx");

    std::ifstream in(dir / "policy.onnx", std::ios::binary);
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromIstream(&in));
    EXPECT_EQ(m.opset_import(0).version(), 17);
    std::map<std::string, const onnx::ValueInfoProto*> outputs;
    for (const auto& out : m.graph().output()) outputs[out.name()] = &out;
    ASSERT_EQ(outputs.size(), 2u);
    ASSERT_TRUE(outputs.count("action") && outputs.count("dist_inputs"));
    EXPECT_EQ(
        outputs["action"]->type().tensor_type().elem_type(),
        policy.action_space().is_integer() ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
    EXPECT_EQ(outputs["dist_inputs"]->type().tensor_type().shape().dim(1).dim_value(),
              static_cast<int64_t>(policy.head_output_size()));
    std::map<std::string, std::string> meta;
    for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
    EXPECT_EQ(meta["head"], to_string(policy.head()));
    std::map<std::string, int> ops;
    for (const auto& n : m.graph().node()) ++ops[n.op_type()];
    if (policy.head() == PolicyHead::kGreedyQ) {
      EXPECT_EQ(ops["ArgMax"], 1);
      for (const auto& n : m.graph().node()) {
        if (n.op_type() != "ArgMax") continue;
        for (const auto& a : n.attribute()) {
          if (a.name() == "select_last_index") {
            EXPECT_EQ(a.i(), 0);
          }
        }
      }
    } else {
      EXPECT_GE(ops["Tanh"], 1);
      EXPECT_EQ(ops["Slice"], policy.head() == PolicyHead::kSquashedGaussian ? 1 : 0);
    }
  }
}

TEST(HeadExport, CCarriesEveryHeadsDeterministicPathAndIsProvenCompiled) {
  for (Policy& policy : head_policies()) {
    SCOPED_TRACE(to_string(policy.head()));
    ScratchDir dir;
    CExportOptions o;
    o.verification.example_observations = proof_observations(policy);
    o.verification.num_random_observations = 64;
    o.require_verification = true;
    const ExportVerification v = export_c(policy, dir.path(), o);
    expect_proven(v, "c");
    std::ifstream in(dir / "cairn_policy.h");
    std::stringstream h;
    h << in.rdbuf();
    EXPECT_NE(h.str().find("#define CAIRN_POLICY_HAS_VALUE 0"), std::string::npos) << h.str();
    EXPECT_NE(h.str().find("float *dist_inputs);"), std::string::npos) << h.str();
    EXPECT_NE(h.str().find("Head:              " + to_string(policy.head())), std::string::npos);
  }
}

// A deliberately wrong export is caught: the exported greedy action must be the policy's.
TEST(HeadExport, ATamperedQNetworkFailsVerification) {
  Policy policy = export_testing::greedy_q_policy();
  ScratchDir dir;
  CExportOptions o;
  o.verification.num_random_observations = 32;
  export_c(policy, dir.path(), o);
  Policy other = policy;
  std::span<float> bias = other.model().parameter("q/dense_2/bias");
  bias[0] += 100.0f;  // action 0 (env value -2) now wins everywhere
  const ExportVerification v = verify_c(other, dir.path(), o);
  EXPECT_EQ(v.status, VerificationStatus::kFailed) << v.summary();
  EXPECT_NE(v.reason.find("action"), std::string::npos) << v.reason;
}

}  // namespace
}  // namespace cairn
