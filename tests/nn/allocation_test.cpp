// Steady-state forward passes and training steps must not touch the heap.
//
// This file replaces the global operator new/delete of the whole test binary (and, in
// builds without AddressSanitizer, interposes malloc/calloc/realloc and the aligned
// allocators, which Eigen uses directly) with versions that forward to the normal
// allocator and count calls. Counting is opt-in per thread (AllocationCounter), so
// every other test in the binary is unaffected.
#include <gtest/gtest.h>


#include "cairn/nn/adam.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "nn_test_helpers.h"
#include "support/allocation_counter.h"


namespace cairn::nn {
namespace {

using cairn::testing::AllocationCounter;

TEST(NnAllocation, CounterSeesAllocations) {
  AllocationCounter counter;
  auto* v = new std::vector<int>(100);
  delete v;
  EXPECT_GE(counter.count(), 2u);
  if (AllocationCounter::counts_malloc()) {
  const size_t before = counter.count();
  Vector<float> eigen_heap(1000);  // Eigen allocates with malloc, not operator new
  EXPECT_GT(counter.count(), before);
  }
}

ModelSpec mixed_spec() {
  return ModelBuilder(6)
      .add(Block("trunk").dense(16, Activation::silu()).layer_norm())
      .add(Block("side").dense(8, Activation::gelu()))
      .add(Block("pi", {"trunk", "side"}).concat().dense(5, Activation::elu()).dense(3))
      .add(Block("vf", {"trunk"}).dense(8, Activation::softplus()).dense(1))
      .output("pi")
      .output("vf")
      .build();
}

// Forward, a loss gradient on every output, backward, clipping and Adam.
template <typename T>
void train_step(Model<T>& model, Adam<T>& adam, const RowMatrix<T>& x) {
  model.zero_grad();
  model.forward(as_span(x));
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    model.output_grad(o).map() = model.output(o).map() * T(0.01);
  }
  model.backward();
  clip_grad_norm<T>(model.flat_gradients(), 0.5);
  adam.step(model.flat_parameters(), model.flat_gradients());
}

template <typename T>
void expect_steady_state_is_allocation_free(const ModelSpec& spec, Index batch) {
  Model<T> model(spec);
  model.initialize(1);
  Adam<T> adam(model.parameters(), {.lr = 1e-4});
  const RowMatrix<T> x = testing::random_matrix<T>(batch, spec.input_size, 2);
  train_step(model, adam, x);  // warm-up: buffers grow to this batch size
  {
    AllocationCounter counter;
    for (int i = 0; i < 5; ++i) model.forward(as_span(x));
    EXPECT_EQ(counter.count(), 0u) << "forward at batch " << batch;
  }
  {
    AllocationCounter counter;
    for (int i = 0; i < 5; ++i) train_step(model, adam, x);
    EXPECT_EQ(counter.count(), 0u) << "training step at batch " << batch;
  }
  {
    // A smaller batch after a larger one reuses the buffers.
    const RowMatrix<T> one = testing::random_matrix<T>(1, spec.input_size, 3);
    AllocationCounter counter;
    model.forward(as_span(one));
    EXPECT_EQ(counter.count(), 0u) << "batch 1 after batch " << batch;
  }
}

TEST(NnAllocation, ActorCriticSteadyStateFloat) {
  for (Index batch : {1, 64, 512, 2048}) {
    expect_steady_state_is_allocation_free<float>(ppo_actor_critic(4, 2), batch);
  }
}

TEST(NnAllocation, MixedLayersSteadyStateFloatAndDouble) {
  for (Index batch : {1, 64, 2048}) {
    expect_steady_state_is_allocation_free<float>(mixed_spec(), batch);
    expect_steady_state_is_allocation_free<double>(mixed_spec(), batch);
  }
}

TEST(NnAllocation, FoundingStoryModelSteadyState) {
  for (Index batch : {1, 64, 512}) {
    expect_steady_state_is_allocation_free<float>(founding_story_actor_critic(8, 4), batch);
  }
}

}  // namespace
}  // namespace cairn::nn
