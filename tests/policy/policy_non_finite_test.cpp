// The policy refuses non-finite observations and weights.
#include <gtest/gtest.h>

#include <limits>

#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Policy box_policy(bool normalize, const Space& actions = Space::discrete(2)) {
  PolicyOptions options;
  options.normalize_observations = normalize;
  const size_t dist = ActionDistribution<float>::for_action_space(actions).num_inputs();
  return Policy(Space::box(-5.0f, 5.0f, {3}), actions,
                nn::ppo_actor_critic(3, static_cast<nn::Index>(dist)), options, 1);
}

TEST(PolicyNonFinite, ComputeActionRefusesNaNAndInfiniteObservations) {
  for (bool normalize : {false, true}) {
    Policy pi = box_policy(normalize);
    const std::vector<float> nan_obs = {0.1f, kNaN, 0.2f};
    EXPECT_ERROR_CONTAINS(pi.compute_action(nan_obs),
                          "Policy: observation 0 element 1 is nan; observations of "
                          "Box(-5, 5, (3,), float32) must be finite");
    const std::vector<float> inf_obs = {-kInf, 0.0f, 0.2f};
    EXPECT_ERROR_CONTAINS(pi.compute_action(inf_obs), "observation 0 element 0 is -inf");
  }
  Policy gaussian = box_policy(false, Space::box(-1.0f, 1.0f, {2}));
  Rng rng(3);
  EXPECT_ERROR_CONTAINS(gaussian.compute_action(std::vector<float>{kInf, 0.0f, 0.0f}, true, rng),
                        "element 0 is inf");
}

TEST(PolicyNonFinite, BatchedActionsAndValuesRefuseThemToo) {
  Policy pi = box_policy(true);
  const std::vector<float> batch = {0, 0, 0, 1, 1, 1, 2, 2, kNaN};
  std::vector<int64_t> actions(3);
  Rng rng(1);
  EXPECT_ERROR_CONTAINS(pi.compute_actions(batch, false, rng, actions, {}),
                        "observation 2 element 2 is nan");
  std::vector<float> values(3);
  EXPECT_ERROR_CONTAINS(pi.values(batch, values), "observation 2 element 2 is nan");
  EXPECT_ERROR_CONTAINS(pi.value(std::vector<float>{kInf, 0, 0}), "element 0 is inf");
  std::vector<float> features(9);
  EXPECT_ERROR_CONTAINS(pi.preprocess(batch, features), "observation 2 element 2 is nan");
  // Finite observations outside the bounds are still the policy's business (and fine).
  EXPECT_NO_THROW(pi.compute_action(std::vector<float>{100.0f, -100.0f, 3e38f}));
}

TEST(PolicyNonFinite, NonFiniteWeightsAreNamed) {
  Policy pi = box_policy(true, Space::box(-1.0f, 1.0f, {2}));
  EXPECT_EQ(pi.non_finite_weights(), "");
  pi.model().parameter("vf/dense_1/bias")[0] = kInf;
  EXPECT_EQ(pi.non_finite_weights(), "tensor 'vf/dense_1/bias' element 0 is inf");
  pi.model().parameter("vf/dense_1/bias")[0] = 0.0f;
  pi.log_std()[1] = kNaN;
  EXPECT_EQ(pi.non_finite_weights(), "tensor 'log_std' element 1 is nan");
}

TEST(PolicyNonFinite, RestoringNaNWeightsNamesTheTensor) {
  testing_io::ScratchDir dir;
  const std::filesystem::path folder = dir.path() / "policy";
  Policy pi = box_policy(false);
  pi.save(folder);
  const std::span<const float> bias = pi.model().parameter("pi/dense_0/bias");
  std::vector<float> tampered(bias.begin(), bias.end());
  tampered[5] = kNaN;
  checkpoint_testing::replace_tensor(folder, "weights.safetensors", "pi/dense_0/bias",
                                     Tensor::f32(tampered, {static_cast<int64_t>(bias.size())}));
  EXPECT_ERROR_CONTAINS(load_policy(folder),
                        "weights.safetensors: tensor 'pi/dense_0/bias' element 5 is nan; the "
                        "weights must be finite");
  EXPECT_EQ(testing::error_of([&] { load_policy(folder); }).find("deviates"), std::string::npos);
}

TEST(PolicyNonFinite, HugeBatchesAreRefusedBeforeAllocating) {
  Policy pi = box_policy(false);
  EXPECT_ERROR_CONTAINS(pi.reserve(size_t{1} << 44), "GiB of activations");
}

}  // namespace
}  // namespace cairn
