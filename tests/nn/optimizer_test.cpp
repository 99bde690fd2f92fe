// Optimisers, gradient clipping and learning-rate schedules (PyTorch comparisons are in
// torch_conformance_test.cpp).
#include "cairn/nn/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cairn/error.h"
#include "cairn/nn/adam.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/lr_schedule.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/nn/sgd.h"
#include "nn_test_helpers.h"

namespace cairn::nn {
namespace {

// One synthetic training step: gradients of 0.5 * sum(outputs^2) on a fixed batch.
template <typename T>
void compute_gradients(Model<T>& model, uint64_t batch_seed) {
  const RowMatrix<T> x = testing::random_matrix<T>(8, model.input_size(), batch_seed);
  model.forward(as_span(x));
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    model.output_grad(o).map() = model.output(o).map();
  }
  model.zero_grad();
  model.backward();
}

template <typename T>
void save_restore_continues_bit_identically(Optimizer<T>& opt, Optimizer<T>& fresh,
                                            Model<T>& model) {
  for (int i = 0; i < 3; ++i) {
    compute_gradients(model, static_cast<uint64_t>(i));
    opt.step(model.flat_parameters(), model.flat_gradients());
  }
  // Save params and optimiser state by name (as a checkpoint would), restore elsewhere.
  Model<T> restored(model.spec());
  for (const TensorInfo& t : model.parameters()) {
    restored.set_parameter(t.name, t.shape, model.parameter(t.name));
  }
  for (const TensorInfo& t : opt.state_tensors())
    fresh.set_state(t.name, t.shape, opt.state(t.name));
  fresh.set_step_count(opt.step_count());
  fresh.set_learning_rate(opt.learning_rate());
  for (int i = 3; i < 6; ++i) {
    compute_gradients(model, static_cast<uint64_t>(i));
    opt.step(model.flat_parameters(), model.flat_gradients());
    compute_gradients(restored, static_cast<uint64_t>(i));
    fresh.step(restored.flat_parameters(), restored.flat_gradients());
  }
  const auto a = model.flat_parameters(), b = restored.flat_parameters();
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size_bytes()));
  const auto sa = opt.flat_state(), sb = fresh.flat_state();
  EXPECT_EQ(0, std::memcmp(sa.data(), sb.data(), sa.size_bytes()));
  EXPECT_EQ(opt.step_count(), 6);
}

TEST(NnOptim, AdamStateRestoreContinuesBitIdentically) {
  Model<float> model(ppo_actor_critic(4, 2));
  model.initialize(3);
  const AdamOptions o{.lr = 3e-4, .eps = 1e-5};
  Adam<float> adam(model.parameters(), o), fresh(model.parameters(), o);
  save_restore_continues_bit_identically(adam, fresh, model);
}

TEST(NnOptim, SgdMomentumStateRestoreContinuesBitIdentically) {
  Model<double> model(ppo_actor_critic(4, 2));
  model.initialize(3);
  const SgdOptions o{.lr = 0.01, .momentum = 0.9, .nesterov = true};
  Sgd<double> sgd(model.parameters(), o), fresh(model.parameters(), o);
  save_restore_continues_bit_identically(sgd, fresh, model);
}

TEST(NnOptim, AdamStateNamesAndShapes) {
  Model<float> model(ppo_actor_critic(4, 2));
  Adam<float> adam(model.parameters());
  ASSERT_EQ(adam.state_tensors().size(), 2 * model.parameters().size());
  EXPECT_EQ(adam.state_tensors()[0].name, "exp_avg/pi/dense_0/kernel");
  EXPECT_EQ(adam.state_tensors()[0].shape, (std::vector<int64_t>{4, 64}));
  EXPECT_EQ(adam.state_tensors()[12].name, "exp_avg_sq/pi/dense_0/kernel");
  EXPECT_EQ(adam.state("exp_avg_sq/vf/dense_2/bias").size(), 1u);
  const int64_t bad[] = {2};
  std::vector<float> d(2);
  EXPECT_THROW(adam.set_state("exp_avg/vf/dense_2/bias", bad, d), Error);
  EXPECT_THROW(adam.state("momentum/pi"), Error);
  std::vector<float> p(3), g(3);
  EXPECT_THROW(adam.step(p, g), Error);
}

TEST(NnOptim, AdamFirstStepMovesEachParameterByLr) {
  // With bias correction, the first Adam step is lr * g / (|g| + eps') = ~lr * sign(g).
  std::vector<TensorInfo> layout = {{"w", {3}, 0, 3}};
  Adam<double> adam(layout, {.lr = 0.1, .eps = 0.0});
  std::vector<double> p = {1.0, 2.0, 3.0}, g = {0.5, -2.0, 1e-3};
  adam.step(p, g);
  EXPECT_NEAR(p[0], 0.9, 1e-15);
  EXPECT_NEAR(p[1], 2.1, 1e-15);
  EXPECT_NEAR(p[2], 2.9, 1e-15);
}

// Each element is PyTorch's Adam formula in IEEE float (exact sqrt and division, no fused
// multiply-add), whatever its position: the vector body and the scalar tail agree. (Eigen's
// vectorised sqrt, used before, is an estimate refined by a Newton step and differed from
// sqrtf in the last bit for about a third of the elements, so an element's bits depended on
// whether it fell in the vector body.)
TEST(NnOptim, AdamIsTheIeeeFormulaAtEveryPosition) {
  const size_t n = 101;  // six 16-lane blocks and a tail of 5
  std::vector<TensorInfo> layout{{"w", {static_cast<int64_t>(n)}, 0, n}};
  AdamOptions o;
  o.lr = 3e-3;
  Adam<float> adam(layout, o);
  std::vector<float> p(n), g(n), m(n, 0.0f), v(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    p[i] = 0.25f + 0.01f * static_cast<float>(i);
    // Magnitudes over six decades, so the square roots' last bits are varied.
    g[i] = std::ldexp(1.0f + 0.0123f * static_cast<float>(i), -static_cast<int>(i % 20)) *
           (i % 2 ? -1.0f : 1.0f);
  }
  std::vector<float> want = p;
  for (int t = 1; t <= 3; ++t) {
    adam.step(p, g);
    const float step = static_cast<float>(-(o.lr / (1.0 - std::pow(o.beta1, t))));
    const float bc2 = static_cast<float>(std::sqrt(1.0 - std::pow(o.beta2, t)));
    for (size_t i = 0; i < n; ++i) {
      m[i] = m[i] * 0.9f + g[i] * static_cast<float>(1 - 0.9);
      v[i] = v[i] * 0.999f + static_cast<float>(1 - 0.999) * g[i] * g[i];
      const volatile float root = std::sqrt(v[i]);  // sqrtf, not a vector estimate
      want[i] = want[i] + (step * m[i]) / (root / bc2 + static_cast<float>(o.eps));
    }
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], want[i]) << "step " << t << ", element " << i;
  }
}

// A moment too small for a normal float is flushed to zero rather than kept as a
// denormal (each one costs Intel cores a microcode assist: PPO on Pendulum spent ~10% of
// its training time in them), and the caller's floating-point mode is left as it was.
#if defined(__SSE__)
TEST(NnOptim, AdamFlushesDenormalResultsAndRestoresTheCallersMode) {
  std::vector<TensorInfo> layout{{"w", {20}, 0, 20}};
  Adam<float> adam(layout);
  std::vector<float> p(20, 1.0f), g(20, 1e-21f);  // (1 - beta2) g^2 = 1e-45: denormal
  adam.step(p, g);
  const std::span<const float> v = adam.flat_state().subspan(20, 20);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(v[i], 0.0f) << "element " << i;
  volatile float tiny = 1e-30f;
  EXPECT_GT(tiny * 1e-10f, 0.0f) << "denormal results must survive outside the step";
}
#endif

TEST(NnOptim, SgdPlainAndMomentum) {
  std::vector<TensorInfo> layout = {{"w", {2}, 0, 2}};
  Sgd<double> plain(layout, {.lr = 0.5});
  std::vector<double> p = {1.0, -1.0}, g = {0.2, 0.4};
  plain.step(p, g);
  EXPECT_DOUBLE_EQ(p[0], 0.9);
  EXPECT_DOUBLE_EQ(p[1], -1.2);
  EXPECT_TRUE(plain.state_tensors().empty());

  Sgd<double> mom(layout, {.lr = 1.0, .momentum = 0.5});
  p = {0.0, 0.0};
  mom.step(p, g);  // buf = g
  mom.step(p, g);  // buf = 0.5 g + g
  EXPECT_DOUBLE_EQ(p[0], -(0.2 + 0.3));
  EXPECT_DOUBLE_EQ(mom.state("momentum_buffer/w")[1], 0.6);
  EXPECT_THROW(Sgd<double>(layout, {.lr = 1.0, .nesterov = true}), Error);
}

TEST(NnOptim, ClipGradNormMatchesTorchSemantics) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_DOUBLE_EQ(clip_grad_norm<float>(g, 10.0), 5.0);  // below the limit: unchanged
  EXPECT_EQ(g[0], 3.0f);
  EXPECT_DOUBLE_EQ(clip_grad_norm<float>(g, 0.5), 5.0);  // returns the pre-clip norm
  const double coef = 0.5 / (5.0 + 1e-6);
  EXPECT_FLOAT_EQ(g[0], static_cast<float>(3.0 * coef));
  EXPECT_FLOAT_EQ(g[1], static_cast<float>(4.0 * coef));
  EXPECT_NEAR(global_norm<float>(g), 0.5, 1e-6);
  EXPECT_THROW(clip_grad_norm<float>(g, 0.0), Error);
}

TEST(NnOptim, LearningRateSchedules) {
  const LrSchedule c = LrSchedule::constant(3e-4);
  EXPECT_EQ(c(0), 3e-4);
  EXPECT_EQ(c(1000000), 3e-4);
  const LrSchedule lin = LrSchedule::linear(1e-3, 0.0, 100);
  EXPECT_DOUBLE_EQ(lin(0), 1e-3);
  EXPECT_DOUBLE_EQ(lin(50), 5e-4);
  EXPECT_DOUBLE_EQ(lin(100), 0.0);
  EXPECT_DOUBLE_EQ(lin(250), 0.0);
  EXPECT_EQ(LrSchedule::from_json(lin.to_json()), lin);
  EXPECT_EQ(LrSchedule::from_json(c.to_json()), c);
  EXPECT_THROW(LrSchedule::linear(1e-3, 0.0, 0), Error);
  EXPECT_THROW(LrSchedule::from_json({{"type", "cosine"}}), Error);
}

}  // namespace
}  // namespace cairn::nn
