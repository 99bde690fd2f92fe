// The export proof's comparison (export_verification.h): norm-wise per observation, so an
// output that cancels to near zero beside large ones is held to its row's bound, while a
// deviation beyond the row's bound, or any different integer action, fails.
#include <gtest/gtest.h>

#include "export/export_test_policies.h"
#include "export/verification_run.h"

namespace cairn {
namespace {

using export_detail::compare_outputs;
using export_detail::PolicyOutputs;

// Two observations of a greedy-Q policy's outputs: Q-values (a row of head outputs) and
// the argmax action.
struct CriterionCase {
  Policy policy = export_testing::greedy_q_policy();
  PolicyOutputs reference;

  CriterionCase() {
    const size_t n = policy.head_output_size();
    reference.batch = 2;
    reference.dist_inputs.assign(2 * n, 0.0f);
    reference.int_actions.assign(2 * policy.action_size(), 0);
    // Row 0: a Q-value that cancels to -0.13 beside one of 20. Row 1: all below 1.
    reference.dist_inputs[0] = -0.132097f;
    reference.dist_inputs[1] = 20.0f;
    reference.dist_inputs[n] = -0.132097f;
    reference.dist_inputs[n + 1] = 0.5f;
  }

  ExportVerification compare(const PolicyOutputs& exported) const {
    ExportVerification v;
    compare_outputs(policy, reference, exported, 1e-5, v);
    return v;
  }
};

TEST(ExportVerificationCriterion, ANearZeroOutputGetsItsRowsScale) {
  CriterionCase c;
  ASSERT_GE(c.policy.head_output_size(), 2u);
  PolicyOutputs exported = c.reference;
  exported.dist_inputs[0] = -0.132086f;  // 1.1e-5 off: within 1e-5 * 20
  const ExportVerification v = c.compare(exported);
  EXPECT_EQ(v.status, VerificationStatus::kVerified) << v.summary();
}

TEST(ExportVerificationCriterion, TheSameDeviationFailsWhereTheRowIsSmall) {
  CriterionCase c;
  PolicyOutputs exported = c.reference;
  exported.dist_inputs[c.policy.head_output_size()] = -0.132086f;  // row 1: scale 1
  const ExportVerification v = c.compare(exported);
  EXPECT_EQ(v.status, VerificationStatus::kFailed);
  ASSERT_EQ(v.outputs.size(), 2u);
  EXPECT_EQ(v.outputs[1].name, "dist_inputs");
  EXPECT_EQ(v.outputs[1].mismatches, 1u);
  EXPECT_NE(v.outputs[1].worst.find("observation 1"), std::string::npos) << v.outputs[1].worst;
}

TEST(ExportVerificationCriterion, ADeviationBeyondTheRowsBoundFails) {
  CriterionCase c;
  PolicyOutputs exported = c.reference;
  exported.dist_inputs[0] = -0.132097f + 3e-4f;  // beyond 1e-5 * 20
  EXPECT_EQ(c.compare(exported).status, VerificationStatus::kFailed);
}

TEST(ExportVerificationCriterion, IntegerActionsMustBeIdentical) {
  CriterionCase c;
  PolicyOutputs exported = c.reference;
  exported.int_actions[0] = 1;
  const ExportVerification v = c.compare(exported);
  EXPECT_EQ(v.status, VerificationStatus::kFailed);
  EXPECT_EQ(v.outputs[0].name, "action");
  EXPECT_EQ(v.outputs[0].mismatches, 1u);
}

}  // namespace
}  // namespace cairn
