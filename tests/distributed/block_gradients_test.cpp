// BlockGradients in one process, and the engine property it relies on: gradients computed
// one block of 64 samples at a time and added in block order are the bits of the whole
// minibatch's backward pass, for the model and for the Gaussian log-std. (The split across
// ranks is tested under mpirun: distributed_training_test.cpp.)
#include "cairn/distributed/block_gradients.h"

#include <gtest/gtest.h>

#include <vector>

#include "cairn/nn/gemm.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/distribution.h"
#include "cairn/policy/policy.h"
#include "cairn/random/random.h"
#include "cairn/space/space.h"
#include "error_matchers.h"

namespace cairn {
namespace {

std::vector<float> random_floats(Rng& rng, size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.normal());
  return v;
}

TEST(BlockGradients, OneProcessOwnsEveryBlockAndSumsThemInOrder) {
  distributed::Communicator& world = distributed::world();
  const size_t rows = 150;  // blocks of 64, 64 and 22
  distributed::BlockGradients blocks(world, 5, 2, 256);
  EXPECT_EQ(distributed::BlockGradients::blocks_of(rows), 3u);
  EXPECT_EQ(blocks.own_blocks(rows).begin, 0u);
  EXPECT_EQ(blocks.own_blocks(rows).end, 3u);
  EXPECT_EQ(blocks.own_rows(rows).end, rows);
  Rng rng(3);
  std::vector<std::vector<float>> g;
  const std::span<float> own = blocks.own_block_gradients(rows);
  ASSERT_EQ(own.size(), 15u);
  for (size_t k = 0; k < 3; ++k) {
    g.push_back(random_floats(rng, 5));
    std::copy(g[k].begin(), g[k].end(), own.begin() + static_cast<std::ptrdiff_t>(5 * k));
  }
  const std::span<float> values = blocks.own_row_values(rows);
  ASSERT_EQ(values.size(), 2 * rows);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  std::vector<float> sum(5), all_rows(2 * rows);
  blocks.reduce(rows, sum, all_rows);
  for (size_t i = 0; i < 5; ++i) {
    float expected = 0.0f;
    for (size_t k = 0; k < 3; ++k) expected += g[k][i];
    EXPECT_EQ(sum[i], expected) << i;
  }
  EXPECT_EQ(all_rows[299], 299.0f);
  EXPECT_ERROR_CONTAINS(blocks.reduce(rows, std::span<float>(sum).first(4), all_rows),
                        "width() and rows * per_row");
}

TEST(BlockGradients, BlocksOneAtATimeAddedInOrderAreTheWholeBackwardPass) {
  const size_t rows = 150, in = 5, act = 2;
  nn::ActorCriticOptions options;
  options.hidden = {32, 32};
  nn::Model<float> model(
      nn::ppo_actor_critic(static_cast<nn::Index>(in), static_cast<nn::Index>(act), options));
  model.initialize(11);
  const ActionDistribution<float> dist =
      ActionDistribution<float>::for_action_space(Space::box(-1.0f, 1.0f, {2}));
  Rng rng(5);
  const std::vector<float> x = random_floats(rng, rows * in),
                           actions = random_floats(rng, rows * act),
                           d_logp = random_floats(rng, rows), d_ent = random_floats(rng, rows),
                           d_value = random_floats(rng, rows), log_std = {-0.5f, 0.3f};
  const size_t policy_out = model.output_index(Policy::kPolicyOutput),
               value_out = model.output_index(Policy::kValueOutput);
  // The whole minibatch at once.
  auto backward = [&](size_t r0, size_t r1, std::vector<float>& log_std_grad) {
    const size_t n = r1 - r0;
    model.forward({x.data() + r0 * in, static_cast<nn::Index>(n), static_cast<nn::Index>(in)});
    model.zero_grad();
    const nn::MatrixSpan<float> dv = model.output_grad(value_out);
    std::copy(d_value.begin() + static_cast<std::ptrdiff_t>(r0),
              d_value.begin() + static_cast<std::ptrdiff_t>(r1), dv.flat().begin());
    dist.backward(model.output(policy_out).flat(), log_std, {},
                  std::span<const float>(actions).subspan(r0 * act, n * act),
                  std::span<const float>(d_logp).subspan(r0, n),
                  std::span<const float>(d_ent).subspan(r0, n),
                  model.output_grad(policy_out).flat(), log_std_grad);
    model.backward();
  };
  std::vector<float> whole_log_std(2, 0.0f);
  backward(0, rows, whole_log_std);
  const std::vector<float> whole(model.flat_gradients().begin(), model.flat_gradients().end());
  // One block at a time, summed from zero in block order.
  std::vector<float> sum(whole.size(), 0.0f), sum_log_std(2, 0.0f);
  const size_t block = static_cast<size_t>(nn::kGradientBlock);
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    std::vector<float> block_log_std(2, 0.0f);
    backward(r0, std::min(rows, r0 + block), block_log_std);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += model.flat_gradients()[i];
    for (size_t k = 0; k < 2; ++k) sum_log_std[k] += block_log_std[k];
  }
  for (size_t i = 0; i < sum.size(); ++i) ASSERT_EQ(sum[i], whole[i]) << "parameter " << i;
  EXPECT_EQ(sum_log_std, whole_log_std);

  // Model::backward_blocks keeps each block's sum apart in one pass over the whole batch:
  // the same bits as the blocks' own passes, and their order-kept sum is the whole's.
  const size_t params = model.num_parameters(), stride = params + 3;
  model.forward({x.data(), static_cast<nn::Index>(rows), static_cast<nn::Index>(in)});
  const nn::MatrixSpan<float> dv = model.output_grad(value_out);
  std::copy(d_value.begin(), d_value.end(), dv.flat().begin());
  std::vector<float> unused_log_std(2, 0.0f);
  dist.backward(model.output(policy_out).flat(), log_std, {}, actions, d_logp, d_ent,
                model.output_grad(policy_out).flat(), unused_log_std);
  std::vector<float> kept(3 * stride, 0.0f);
  model.backward_blocks(kept, stride);
  std::vector<float> kept_sum(params, 0.0f);
  for (size_t k = 0; k < 3; ++k) {
    for (size_t i = 0; i < params; ++i) kept_sum[i] += kept[k * stride + i];
    EXPECT_EQ(kept[k * stride + params], 0.0f);  // the padding is not written
  }
  for (size_t i = 0; i < params; ++i) ASSERT_EQ(kept_sum[i], whole[i]) << "parameter " << i;
  EXPECT_ERROR_CONTAINS(model.backward_blocks(std::span<float>(kept).first(2 * stride), stride),
                        "for 3 blocks");
}

}  // namespace
}  // namespace cairn
