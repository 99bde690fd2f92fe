// The agent-to-policy mapping is data: exact ids and patterns, round-tripped through JSON,
// with errors naming the agent, the key or the policy id.
#include "cairn/algorithms/policy_mapping.h"

#include <gtest/gtest.h>

#include "cairn/error.h"
#include "error_matchers.h"

namespace cairn {
namespace {

using testing::expect_error_containing_all;

const std::vector<std::string> kMappingPolicies{"shared", "hero", "opponent"};

TEST(PolicyMapping, GlobPatternsMatchWholeIds) {
  EXPECT_TRUE(PolicyMapping::matches("car_*", "car_0"));
  EXPECT_TRUE(PolicyMapping::matches("car_*", "car_"));
  EXPECT_FALSE(PolicyMapping::matches("car_*", "scar_0"));
  EXPECT_TRUE(PolicyMapping::matches("*_1?", "player_12"));
  EXPECT_FALSE(PolicyMapping::matches("*_1?", "player_1"));
  EXPECT_TRUE(PolicyMapping::matches("a*b*c", "aXXbYbZc"));
  EXPECT_FALSE(PolicyMapping::matches("a*b*c", "aXXbYbZ"));
  EXPECT_TRUE(PolicyMapping::matches("*", "anything"));
  EXPECT_TRUE(PolicyMapping::matches("agent_0", "agent_0"));
  EXPECT_FALSE(PolicyMapping::matches("agent_0", "agent_01"));
}

TEST(PolicyMapping, ExactIdsWinOverPatternsAndAgentsShareAPolicy) {
  const PolicyMapping m =
      PolicyMapping::from_json({{"car_*", "shared"}, {"car_7", "hero"}, {"player_?", "opponent"}},
                               kMappingPolicies, "mapping");
  EXPECT_EQ(m.policy_for("car_0"), "shared");
  EXPECT_EQ(m.policy_for("car_12"), "shared");
  EXPECT_EQ(m.policy_for("car_7"), "hero");
  EXPECT_EQ(m.policy_for("player_1"), "opponent");
  EXPECT_EQ(m.resolve({"car_1", "car_7", "player_0"}),
            (std::vector<std::string>{"shared", "hero", "opponent"}));
  // Data in, the same data out: what a checkpoint stores and restores.
  EXPECT_EQ(PolicyMapping::from_json(m.to_json(), kMappingPolicies, "mapping"), m);
  EXPECT_EQ(m.to_json(),
            nlohmann::json({{"car_*", "shared"}, {"car_7", "hero"}, {"player_?", "opponent"}}));
}

TEST(PolicyMapping, OverlappingPatternsThatAgreeAreFineAndThoseThatDisagreeAreNamed) {
  const PolicyMapping agree = PolicyMapping::from_json({{"car_*", "shared"}, {"*_0", "shared"}},
                                                       kMappingPolicies, "mapping");
  EXPECT_EQ(agree.policy_for("car_0"), "shared");
  const PolicyMapping clash =
      PolicyMapping::from_json({{"car_*", "shared"}, {"*_0", "hero"}}, kMappingPolicies, "mapping");
  EXPECT_EQ(clash.policy_for("car_1"), "shared");
  expect_error_containing_all([&] { clash.policy_for("car_0"); },
                              {"agent 'car_0'", "'*_0'", "'car_*'", "hero", "shared"});
}

TEST(PolicyMapping, BadMappingsAndUnmappedAgentsGetClearErrors) {
  const PolicyMapping m =
      PolicyMapping::from_json({{"car_*", "shared"}}, kMappingPolicies, "mapping");
  expect_error_containing_all([&] { m.policy_for("truck_0"); },
                              {"agent 'truck_0' has no policy", "'car_*'"});
  expect_error_containing_all(
      [] {
        PolicyMapping::from_json({{"car_*", "nobody"}}, kMappingPolicies, "PPO config");
      },
      {"PPO config", "'car_*'", "unknown policy id 'nobody'", "shared, hero, opponent"});
  expect_error_containing_all(
      [] {
        PolicyMapping::from_json({{"car_*", 3}}, kMappingPolicies, "mapping");
      },
      {"'car_*'", "must be a string"});
  expect_error_containing_all(
      [] {
        PolicyMapping::from_json({{"car_*", "../x"}}, kMappingPolicies, "mapping");
      },
      {"'car_*'", "invalid policy id"});
  expect_error_containing_all(
      [] { PolicyMapping::from_json(nlohmann::json::array(), kMappingPolicies, "mapping"); },
      {"mapping must be an object"});
  expect_error_containing_all(
      [] { PolicyMapping::from_json(nlohmann::json::object(), kMappingPolicies, "mapping"); },
      {"mapping must be an object"});
  expect_error_containing_all(
      [] {
        PolicyMapping::from_json({{"", "shared"}}, kMappingPolicies, "mapping");
      },
      {"pattern is empty"});
}

}  // namespace
}  // namespace cairn
