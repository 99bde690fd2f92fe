// Finite-difference gradient checks (float64) for every layer and for composed models,
// and proof that the checker catches a wrong backward.
#include "cairn/nn/gradient_check.h"

#include <gtest/gtest.h>

#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "nn_test_helpers.h"

namespace cairn::nn {
namespace {

using testing::random_matrix;
using testing::randomize_parameters;

constexpr double kTolerance = 1e-6;

GradientCheckResult check(const ModelSpec& spec, Index batch = 3, uint64_t seed = 1,
                          double input_scale = 1.0) {
  Model<double> model(spec);
  randomize_parameters(model, seed);
  const RowMatrix<double> x =
      random_matrix<double>(batch, spec.input_size, seed + 100, input_scale);
  return check_gradients(model, as_span(x));
}

#define EXPECT_GRADIENTS_OK(result)                                                  \
  do {                                                                               \
    const GradientCheckResult r_ = (result);                                         \
    EXPECT_GT(r_.checked, 0u);                                                       \
    EXPECT_LE(r_.max_relative_error, kTolerance)                                     \
        << "worst: " << r_.worst << " analytic " << r_.worst_analytic << " numeric " \
        << r_.worst_numeric;                                                         \
  } while (0)

TEST(NnGradient, DenseWithoutActivation) {
  EXPECT_GRADIENTS_OK(check(ModelBuilder(4).add(Block("b").dense(5)).output("b").build()));
}

class NnActivationGradient : public ::testing::TestWithParam<Activation> {};

TEST_P(NnActivationGradient, StandaloneLayer) {
  const ModelSpec spec =
      ModelBuilder(4).add(Block("b").dense(5).activation(GetParam())).output("b").build();
  EXPECT_GRADIENTS_OK(check(spec, 4, 2, 1.5));
}

TEST_P(NnActivationGradient, FusedIntoDense) {
  const ModelSpec spec =
      ModelBuilder(4).add(Block("b").dense(6, GetParam()).dense(3, GetParam())).output("b").build();
  EXPECT_GRADIENTS_OK(check(spec, 4, 3, 1.5));
}

INSTANTIATE_TEST_SUITE_P(All, NnActivationGradient,
                         ::testing::Values(Activation::identity(), Activation::tanh(),
                                           Activation::relu(), Activation::elu(),
                                           Activation::elu(0.7), Activation::silu(),
                                           Activation::gelu(), Activation::sigmoid(),
                                           Activation::softplus(), Activation::softplus(2.0, 20.0),
                                           Activation::leaky_relu(), Activation::leaky_relu(0.2)),
                         [](const ::testing::TestParamInfo<Activation>& param_info) {
                           return std::string(param_info.param.name()) + "_" +
                                  std::to_string(param_info.index);
                         });

TEST(NnGradient, SoftplusLinearRegionAboveThreshold) {
  // Inputs far above the threshold exercise the identity branch.
  const ModelSpec spec =
      ModelBuilder(3).add(Block("b").activation(Activation::softplus())).output("b").build();
  Model<double> model(spec);
  RowMatrix<double> x(2, 3);
  x << 25.0, -1.0, 0.3, 30.0, 2.0, -4.0;
  const GradientCheckResult r = check_gradients(model, as_span(x));
  EXPECT_LE(r.max_relative_error, kTolerance) << r.worst;
}

TEST(NnGradient, LayerNorm) {
  const ModelSpec spec =
      ModelBuilder(5).add(Block("b").layer_norm().dense(3, Activation::tanh())).output("b").build();
  EXPECT_GRADIENTS_OK(check(spec, 4));
}

TEST(NnGradient, LayerNormCustomEps) {
  const ModelSpec spec =
      ModelBuilder(6).add(Block("b").dense(4).layer_norm(0.1)).output("b").build();
  EXPECT_GRADIENTS_OK(check(spec, 3));
}

TEST(NnGradient, Concat) {
  const ModelSpec spec = ModelBuilder(3)
                             .add(Block("a").dense(2, Activation::tanh()))
                             .add(Block("b").dense(4, Activation::sigmoid()))
                             .add(Block("c", {"a", "input", "b"}).concat())
                             .output("c")
                             .build();
  EXPECT_GRADIENTS_OK(check(spec));
}

TEST(NnGradient, SequentialStack) {
  const ModelSpec spec = ModelBuilder(4)
                             .add(Block("net")
                                      .dense(6, Activation::tanh())
                                      .dense(5, Activation::silu())
                                      .layer_norm()
                                      .activation(Activation::gelu())
                                      .dense(3))
                             .output("net")
                             .build();
  EXPECT_GRADIENTS_OK(check(spec, 5));
}

TEST(NnGradient, BranchesConcatAndAnOutputThatIsAlsoConsumed) {
  // "b" is both an output and an input of "c"; the input feeds two blocks.
  const ModelSpec spec = ModelBuilder(4)
                             .add(Block("a").dense(4, Activation::elu()))
                             .add(Block("b").dense(3, Activation::gelu()))
                             .add(Block("c", {"a", "b"}).concat().dense(2, Activation::tanh()))
                             .output("c")
                             .output("b")
                             .build();
  EXPECT_GRADIENTS_OK(check(spec, 3));
}

TEST(NnGradient, SharedTrunkWithTwoHeads) {
  ActorCriticOptions options;
  options.hidden = {6, 5};
  options.shared_trunk = true;
  EXPECT_GRADIENTS_OK(check(ppo_actor_critic(4, 3, options), 3));
}

TEST(NnGradient, SeparateActorCritic) {
  ActorCriticOptions options;
  options.hidden = {5, 4};
  EXPECT_GRADIENTS_OK(check(ppo_actor_critic(3, 2, options), 3));
}

TEST(NnGradient, FoundingStoryModelSmall) {
  FoundingStoryOptions options;
  options.hidden = 6;
  EXPECT_GRADIENTS_OK(check(founding_story_actor_critic(4, 3, options), 2));
}

TEST(NnGradient, OnlyRequestedOutputsContribute) {
  ActorCriticOptions options;
  options.hidden = {4};
  Model<double> model(ppo_actor_critic(3, 2, options));
  randomize_parameters(model, 9);
  const RowMatrix<double> x = random_matrix<double>(2, 3, 10);
  model.forward(as_span(x));
  model.output_grad(model.output_index("vf")).map().setOnes();
  model.zero_grad();
  model.backward();
  for (double g : model.gradient("pi/dense_0/kernel")) EXPECT_EQ(g, 0.0);
  double sum = 0;
  for (double g : model.gradient("vf/dense_0/kernel")) sum += std::abs(g);
  EXPECT_GT(sum, 0.0);
}

TEST(NnGradient, CustomLayerPassesTheCheck) {
  testing::register_test_layers();
  const ModelSpec spec = ModelBuilder(3)
                             .add(Block("b").dense(4).layer("test_scale", {{"c", 0.3}}))
                             .output("b")
                             .build();
  EXPECT_GRADIENTS_OK(check(spec));
}

TEST(NnGradient, CheckerCatchesWrongInputGradient) {
  testing::register_test_layers();
  const ModelSpec spec =
      ModelBuilder(3).add(Block("b").dense(4).layer("test_scale_input_bug")).output("b").build();
  const GradientCheckResult r = check(spec);
  EXPECT_GT(r.max_relative_error, 1e-4) << r.worst;
}

TEST(NnGradient, CheckerCatchesWrongParameterGradient) {
  testing::register_test_layers();
  const ModelSpec spec =
      ModelBuilder(3).add(Block("b").layer("test_scale_param_bug").dense(2)).output("b").build();
  const GradientCheckResult r = check(spec);
  EXPECT_GT(r.max_relative_error, 1e-4) << r.worst;
  EXPECT_NE(r.worst.find("b/test_scale_param_bug_0/w"), std::string::npos) << r.worst;
}

TEST(NnGradient, SkippingParameterGradientsLeavesThemAndKeepsTheInputGradient) {
  // A critic in an actor's loss: only d(output)/d(input) is wanted.
  const ModelSpec spec = ModelBuilder(4)
                             .add(Block("net")
                                      .dense(7, Activation::tanh())
                                      .layer_norm()
                                      .dense(3, Activation::relu())
                                      .dense(1))
                             .output("net")
                             .build();
  Model<double> model(spec);
  randomize_parameters(model, 8);
  const RowMatrix<double> x = random_matrix<double>(5, 4, 9);
  const auto run = [&](ParamGrad param_grad) {
    for (double& g : model.flat_gradients()) g = 0.5;  // a previous step's leftovers
    model.forward(as_span(x));
    auto dy = model.output_grad(0);
    for (Index i = 0; i < dy.size(); ++i) dy.data[i] = 1.0 + 0.1 * static_cast<double>(i);
    model.backward(InputGrad::kCompute, param_grad);
    const auto dx = model.input_grad();
    return std::vector<double>(dx.data, dx.data + dx.size());
  };
  const std::vector<double> with_params = run(ParamGrad::kAccumulate);
  size_t changed = 0;
  for (double g : model.flat_gradients()) changed += g != 0.5;
  EXPECT_GT(changed, 0u);
  const std::vector<double> without_params = run(ParamGrad::kSkip);
  EXPECT_EQ(without_params, with_params);
  for (double g : model.flat_gradients()) ASSERT_EQ(g, 0.5);
}

}  // namespace
}  // namespace cairn::nn
