// ONNX export: every test policy is exported, checked by the ONNX checker and proven in
// ONNX Runtime (onnxruntime-node, installed by scripts/setup.sh); the file is read back
// with the ONNX protobuf library to check names, shapes, metadata and weights.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <onnx/onnx_pb.h>

#include "cairn/io/atomic_file.h"
#include "cairn/error.h"
#include "cairn/export/onnx_export.h"
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

onnx::ModelProto read_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

OnnxExportOptions options_for(const Policy& policy) {
  OnnxExportOptions o;
  o.verification.example_observations = example_observations(policy);
  o.verification.num_random_observations = 64;
  o.source_checkpoint = "runs/test/checkpoint_000010";
  o.require_verification = true;  // setup.sh installs ONNX Runtime; a missing one is a failure
  return o;
}

void expect_verified(const ExportVerification& v, size_t num_outputs) {
  EXPECT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
  EXPECT_TRUE(v.verified());
  EXPECT_EQ(v.format, "onnx");
  EXPECT_NE(v.runtime.find("onnxruntime-node"), std::string::npos) << v.runtime;
  EXPECT_EQ(v.outputs.size(), num_outputs);
  for (const OutputDeviation& o : v.outputs) {
    EXPECT_TRUE(o.verified) << o.name;
    EXPECT_EQ(o.mismatches, 0u) << o.name;
    EXPECT_GT(o.values, 0u) << o.name;
    EXPECT_LE(o.max_rel_deviation, 1e-5) << o.name;
  }
  EXPECT_EQ(v.num_random_observations, 64u);
  EXPECT_EQ(v.num_observations, v.num_example_observations + 64u);
  const nlohmann::json record = read_json(v.record);
  EXPECT_EQ(record["status"], "verified");
  EXPECT_EQ(record["verified"], true);
  EXPECT_EQ(record["observations"]["total"], v.num_observations);
  EXPECT_EQ(record["outputs"].size(), num_outputs);
}

// Names, types, shapes and metadata of the graph's interface.
void expect_interface(const onnx::ModelProto& m, const Policy& policy) {
  EXPECT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 17);
  const onnx::GraphProto& g = m.graph();
  ASSERT_EQ(g.input_size(), 1);
  EXPECT_EQ(g.input(0).name(), "obs");
  EXPECT_FALSE(g.input(0).doc_string().empty());
  const auto& in_shape = g.input(0).type().tensor_type().shape();
  ASSERT_EQ(in_shape.dim_size(), 2);
  EXPECT_EQ(in_shape.dim(0).dim_param(), "batch");
  EXPECT_EQ(in_shape.dim(1).dim_value(), static_cast<int64_t>(policy.observation_size()));
  std::map<std::string, const onnx::ValueInfoProto*> outputs;
  for (const auto& o : g.output()) outputs[o.name()] = &o;
  const bool gaussian = !policy.distribution().is_discrete();
  EXPECT_EQ(outputs.size(), gaussian ? 4u : 3u);
  ASSERT_TRUE(outputs.count("action"));
  ASSERT_TRUE(outputs.count("dist_inputs"));
  ASSERT_TRUE(outputs.count("value"));
  EXPECT_EQ(outputs["action"]->type().tensor_type().elem_type(), policy.action_space().is_integer()
                                                                     ? onnx::TensorProto::INT64
                                                                     : onnx::TensorProto::FLOAT);
  EXPECT_EQ(outputs["action"]->type().tensor_type().shape().dim(1).dim_value(),
            static_cast<int64_t>(policy.action_size()));
  EXPECT_EQ(outputs["dist_inputs"]->type().tensor_type().shape().dim(1).dim_value(),
            static_cast<int64_t>(policy.distribution().num_inputs()));
  EXPECT_EQ(outputs["value"]->type().tensor_type().shape().dim(1).dim_value(), 1);
  for (const auto& [name, o] : outputs) {
    EXPECT_EQ(o->type().tensor_type().shape().dim(0).dim_param(), "batch") << name;
    EXPECT_FALSE(o->doc_string().empty()) << name;
  }
  if (gaussian) {
    ASSERT_TRUE(outputs.count("log_std"));
  }

  std::map<std::string, std::string> meta;
  for (const auto& p : m.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["cairn_version"], CAIRN_VERSION_STRING);
  EXPECT_EQ(Space::from_json(nlohmann::json::parse(meta["observation_space"])),
            policy.observation_space());
  EXPECT_EQ(Space::from_json(nlohmann::json::parse(meta["action_space"])), policy.action_space());
  EXPECT_EQ(meta["source_checkpoint"], "runs/test/checkpoint_000010");
  EXPECT_TRUE(meta.count("distribution"));
}

// Every initializer named like a policy tensor holds its float32 values bit for bit.
void expect_weights_bit_identical(const onnx::ModelProto& m, const Policy& policy) {
  std::map<std::string, const onnx::TensorProto*> init;
  for (const auto& t : m.graph().initializer()) init[t.name()] = &t;
  const auto expect_tensor = [&](const std::string& name, std::span<const float> values,
                                 const std::vector<int64_t>& shape) {
    ASSERT_TRUE(init.count(name)) << "no initializer " << name;
    const onnx::TensorProto& t = *init[name];
    EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT) << name;
    EXPECT_EQ(std::vector<int64_t>(t.dims().begin(), t.dims().end()), shape) << name;
    std::vector<float> got;
    if (!t.raw_data().empty()) {
      got.resize(t.raw_data().size() / sizeof(float));
      std::memcpy(got.data(), t.raw_data().data(), got.size() * sizeof(float));
    } else {
      got.assign(t.float_data().begin(), t.float_data().end());
    }
    ASSERT_EQ(got.size(), values.size()) << name;
    EXPECT_EQ(std::memcmp(got.data(), values.data(), values.size() * sizeof(float)), 0)
        << name << " differs from the policy's parameter";
  };
  for (const nn::TensorInfo& info : policy.model().parameters()) {
    expect_tensor(info.name, policy.model().parameter(info.name), info.shape);
  }
  if (!policy.distribution().is_discrete()) {
    expect_tensor("policy/log_std", policy.log_std(),
                  {1, static_cast<int64_t>(policy.log_std().size())});
  }
  if (const RunningMeanStd* s = policy.observation_statistics()) {
    const auto n = static_cast<int64_t>(s->dim());
    expect_tensor("preprocessor/obs_mean", s->mean_f32(), {n});
    expect_tensor("preprocessor/obs_std", s->std_f32(), {n});
  }
}

void export_and_prove(const Policy& policy) {
  ScratchDir dir;
  const auto path = dir / "policy.onnx";
  const ExportVerification v = export_onnx(policy, path, options_for(policy));
  expect_verified(v, policy.distribution().is_discrete() ? 3 : 4);
  EXPECT_EQ(v.record, dir / "policy.onnx.verification.json");
  const onnx::ModelProto m = read_model(path);
  expect_interface(m, policy);
  expect_weights_bit_identical(m, policy);
}

TEST(OnnxExport, CartPolePolicyIsProvenInOnnxRuntime) {
  export_and_prove(cartpole_policy());
}

TEST(OnnxExport, PendulumPolicyWithNormalisationAndClippedGaussian) {
  const Policy policy = pendulum_policy();
  // The statistics are non-trivial and the clip bites for some observations.
  ASSERT_NE(policy.observation_statistics(), nullptr);
  EXPECT_GT(std::fabs(policy.observation_statistics()->mean_f32()[2] - 2.0f), 0.0f);
  EXPECT_NE(policy.observation_statistics()->std_f32()[2], 1.0f);
  export_and_prove(policy);
}

TEST(OnnxExport, OneHotObservationsMultiDiscreteActionsEveryLayer) {
  export_and_prove(multi_discrete_policy());
}

TEST(OnnxExport, MultiDiscreteObservationsHalfBoundedBoxActionsSharedTrunk) {
  export_and_prove(export_testing::mixed_policy());
}

TEST(OnnxExport, FoundingStoryModel) {
  export_and_prove(founding_story_policy());
}

TEST(OnnxExport, OpsetThirteenLowersLayerNormWithPrimitives) {
  const Policy policy = multi_discrete_policy(11);
  ScratchDir dir;
  OnnxExportOptions o = options_for(policy);
  o.opset = 13;
  const ExportVerification v = export_onnx(policy, dir / "p13.onnx", o);
  EXPECT_TRUE(v.verified()) << v.summary();
  const onnx::ModelProto m = read_model(dir / "p13.onnx");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  for (const auto& n : m.graph().node()) EXPECT_NE(n.op_type(), "LayerNormalization");
}

TEST(OnnxExport, ExampleAndRandomObservationsAgreeWithThePolicyTightly) {
  // The recorded deviations are tiny, far below the tolerance (same formulas, float32).
  const Policy policy = cartpole_policy(7);
  ScratchDir dir;
  const ExportVerification v = export_onnx(policy, dir / "p.onnx", options_for(policy));
  ASSERT_TRUE(v.verified());
  for (const OutputDeviation& o : v.outputs) EXPECT_LT(o.max_abs_deviation, 1e-5) << o.name;
  EXPECT_EQ(v.num_example_observations, 4u);
}

TEST(OnnxExport, RejectsOpsetsTheLibraryDoesNotKnow) {
  const Policy policy = cartpole_policy();
  OnnxExportOptions o;
  o.opset = 12;
  EXPECT_ERROR_CONTAINS(onnx_model_bytes(policy, o), "opset 12 is not supported");
  o.opset = 99;
  EXPECT_ERROR_CONTAINS(onnx_model_bytes(policy, o), "opset 99 is not supported");
}

TEST(OnnxExport, UnwritablePathIsNamed) {
  const Policy policy = cartpole_policy();
  const std::string path = "/nonexistent-cairn-dir/sub/policy.onnx";
  EXPECT_ERROR_CONTAINS(export_onnx(policy, path), "cannot write " + path);
}

TEST(OnnxExport, BadExampleObservationsAreRefusedBeforeWriting) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  OnnxExportOptions o;
  o.verification.example_observations = {1, 2, 3};  // not a multiple of 4
  EXPECT_ERROR_CONTAINS(export_onnx(policy, dir / "p.onnx", o), "not a multiple of");
  EXPECT_FALSE(std::filesystem::exists(dir / "p.onnx"));
  o.verification.example_observations = {};
  o.verification.num_random_observations = 0;
  EXPECT_ERROR_CONTAINS(export_onnx(policy, dir / "p.onnx", o), "no observations to check");
  o.verification.num_random_observations = 8;
  o.verification.tolerance = -1;
  EXPECT_ERROR_CONTAINS(export_onnx(policy, dir / "p.onnx", o), "tolerance must be >= 0");

  const Policy discrete = multi_discrete_policy();
  OnnxExportOptions od;
  od.verification.example_observations = {2.0f};  // Discrete(7, start 3) has 3..9
  EXPECT_ERROR_CONTAINS(export_onnx(discrete, dir / "d.onnx", od), "not a valid policy input");
}

TEST(OnnxExport, TamperedInitializerFailsVerification) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  const auto path = dir / "policy.onnx";
  ASSERT_TRUE(export_onnx(policy, path, options_for(policy)).verified());

  onnx::ModelProto m = read_model(path);
  bool tampered = false;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name() != "pi/dense_2/bias") continue;
    std::string raw = t.raw_data();
    float b0 = 0;
    std::memcpy(&b0, raw.data(), sizeof b0);
    b0 += 0.01f;
    std::memcpy(raw.data(), &b0, sizeof b0);
    t.set_raw_data(raw);
    tampered = true;
  }
  ASSERT_TRUE(tampered);
  std::string bytes;
  ASSERT_TRUE(m.SerializeToString(&bytes));
  write_file_atomically(path, bytes);

  const ExportVerification v = verify_onnx(policy, path, options_for(policy));
  EXPECT_EQ(v.status, VerificationStatus::kFailed);
  EXPECT_FALSE(v.verified());
  EXPECT_NE(v.reason.find("dist_inputs differs from the policy"), std::string::npos) << v.reason;
  const nlohmann::json record = read_json(dir / "policy.onnx.verification.json");
  EXPECT_EQ(record["status"], "failed");
  EXPECT_EQ(record["verified"], false);
  bool dist_failed = false;
  for (const auto& o : record["outputs"]) {
    if (o["name"] == "dist_inputs") {
      dist_failed = !o["verified"].get<bool>();
      EXPECT_NEAR(o["max_abs_deviation"].get<double>(), 0.01, 1e-4);
    }
    if (o["name"] == "value") {
      EXPECT_TRUE(o["verified"].get<bool>());
    }
  }
  EXPECT_TRUE(dist_failed);
}

TEST(OnnxExport, MissingRuntimeIsRecordedAsUnverified) {
  const Policy policy = cartpole_policy();
  ScratchDir dir;
  OnnxExportOptions o;
  o.runtime.node_modules_dir = dir / "no-such-node_modules";
  const ExportVerification v = export_onnx(policy, dir / "p.onnx", o);
  EXPECT_EQ(v.status, VerificationStatus::kUnverified);
  EXPECT_FALSE(v.verified());
  EXPECT_NE(v.reason.find("onnxruntime-node is not installed in"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("no-such-node_modules"), std::string::npos) << v.reason;
  EXPECT_TRUE(v.outputs.empty());
  const nlohmann::json record = read_json(dir / "p.onnx.verification.json");
  EXPECT_EQ(record["status"], "unverified");
  EXPECT_EQ(record["verified"], false);
  EXPECT_TRUE(std::filesystem::exists(dir / "p.onnx"));

  // A missing Node.js likewise.
  OnnxExportOptions no_node;
  no_node.runtime.node = "/nonexistent/node";
  const ExportVerification v2 = export_onnx(policy, dir / "p2.onnx", no_node);
  EXPECT_EQ(v2.status, VerificationStatus::kUnverified);
  EXPECT_NE(v2.reason.find("Node.js"), std::string::npos) << v2.reason;

  // Asked to require verification, the export throws (after recording).
  o.require_verification = true;
  EXPECT_ERROR_CONTAINS(export_onnx(policy, dir / "p3.onnx", o), "could not be verified");
  EXPECT_EQ(read_json(dir / "p3.onnx.verification.json")["status"], "unverified");
}

TEST(OnnxExport, LocateOnnxRuntimeFindsTheInstalledPackage) {
  const OnnxRuntimeLocation loc = locate_onnxruntime();
  EXPECT_TRUE(loc.available) << loc.reason;
  EXPECT_FALSE(loc.version.empty());
}

}  // namespace
}  // namespace cairn
