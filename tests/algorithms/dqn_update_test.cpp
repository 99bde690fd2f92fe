// DQN's update pieces (dqn_update.h): the targets, the Huber loss and its gradient, the
// target network update, and one whole update against PyTorch (the way Stable-Baselines3
// computes it) on fixed weights and a fixed batch.
#include "cairn/algorithms/dqn_update.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "cairn/nn/adam.h"
#include "cairn/nn/dueling.h"
#include "cairn/random/random.h"
#include "error_matchers.h"
#include "support/torch_reference.h"

namespace cairn {
namespace {

using testing_torch::kPython;
using testing_torch::relative_error;
using testing_torch::torch_available;

TEST(DQNTargets, DoubleQSelectsWithOnlineAndEvaluatesWithTarget) {
  // Two rows, three actions. Target network prefers action 2, online prefers action 0.
  const std::vector<double> next_target = {1.0, 2.0, 5.0, -1.0, 3.0, 3.0};
  const std::vector<double> next_online = {9.0, 0.0, 1.0, 0.0, 4.0, 4.0};
  const std::vector<double> rewards = {0.5, -1.0}, discounts = {0.9, 0.0};
  std::vector<double> y(2);
  const nn::MatrixSpan<const double> qt(next_target.data(), 2, 3), qo(next_online.data(), 2, 3);
  dqn_targets<double>(rewards, discounts, qt, qo, true, y);
  EXPECT_DOUBLE_EQ(y[0], 0.5 + 0.9 * 1.0);  // Q_target(s', argmax Q_online = 0)
  EXPECT_DOUBLE_EQ(y[1], -1.0);             // terminated: no bootstrap
  dqn_targets<double>(rewards, discounts, qt, {}, false, y);
  EXPECT_DOUBLE_EQ(y[0], 0.5 + 0.9 * 5.0);  // max_a Q_target
  // Ties take the first maximum: online row 1 ties actions 1 and 2.
  const std::vector<double> d1 = {0.5, 1.0};
  dqn_targets<double>(rewards, d1, qt, qo, true, y);
  EXPECT_DOUBLE_EQ(y[1], -1.0 + 3.0);
  std::vector<double> short_y(1);
  EXPECT_ERROR_CONTAINS(dqn_targets<double>(rewards, discounts, qt, qo, true, short_y),
                        "targets has 1 elements, expected 2");
}

TEST(DQNHuberLoss, QuadraticInsideLinearOutsideAndGradientOnTheTakenAction) {
  const std::vector<double> q = {1.0, 2.0, 0.0, 10.0};  // 2 rows x 2 actions
  const std::vector<int64_t> actions = {1, 0};
  const std::vector<double> targets = {1.5, 3.0};  // errors +0.5 and -3
  std::vector<double> d_q(4, 99.0);
  const DQNLossTerms t =
      dqn_huber_loss<double>(nn::MatrixSpan<const double>(q.data(), 2, 2), actions, targets,
                             nn::MatrixSpan<double>(d_q.data(), 2, 2));
  EXPECT_DOUBLE_EQ(t.loss, (0.5 * 0.25 + (3.0 - 0.5)) / 2);
  EXPECT_DOUBLE_EQ(t.q_mean, (2.0 + 0.0) / 2);
  EXPECT_EQ(d_q, (std::vector<double>{0.0, 0.5 / 2, -1.0 / 2, 0.0}));
  const std::vector<int64_t> bad = {1, 2};
  EXPECT_ERROR_CONTAINS(dqn_huber_loss<double>(nn::MatrixSpan<const double>(q.data(), 2, 2), bad,
                                               targets, nn::MatrixSpan<double>(d_q.data(), 2, 2)),
                        "action 2 of row 1 is outside [0, 2)");
}

TEST(DQNTargetNetwork, HardCopyAndPolyak) {
  const std::vector<float> online = {1.0f, -2.0f, 3.0f};
  std::vector<float> target = {0.0f, 0.0f, 1.0f};
  update_target_network(online, target, 0.5);
  EXPECT_EQ(target, (std::vector<float>{0.5f, -1.0f, 2.0f}));
  update_target_network(online, target, 1.0);
  EXPECT_EQ(target, online);
  EXPECT_ERROR_CONTAINS(update_target_network(online, target, 0.0), "tau must be in (0, 1]");
  std::vector<float> shorter(2);
  EXPECT_ERROR_CONTAINS(update_target_network(online, shorter, 1.0), "target network");
}

nlohmann::json plain_q_spec(nn::Index in, nn::Index n) {
  return {{"input_size", in},
          {"blocks",
           {{{"name", "q"},
             {"layers",
              {{{"type", "dense"}, {"units", 8}, {"activation", "relu"}},
               {{"type", "dense"}, {"units", 8}, {"activation", "tanh"}},
               {{"type", "dense"}, {"units", n}}}}}}},
          {"outputs", {"q"}}};
}

nlohmann::json params_json(const nn::Model<float>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const nn::TensorInfo& info : m.parameters()) {
    const auto p = m.parameter(info.name);
    j[info.name] = {{"shape", info.shape}, {"data", std::vector<double>(p.begin(), p.end())}};
  }
  return j;
}

// Trained-looking weights: N(0, 1/fan_in) kernels, N(0, 0.1^2) biases.
void randomize(nn::Model<float>& m, uint64_t seed) {
  Rng rng(seed);
  for (const nn::TensorInfo& info : m.parameters()) {
    const double scale = info.shape.size() == 2 ? 1.0 / std::sqrt(double(info.shape[0])) : 0.1;
    for (float& v : m.parameter(info.name)) v = static_cast<float>(scale * rng.normal());
  }
}

void run_torch_update(const nn::ModelSpec& spec, bool double_q, double max_grad_norm) {
  if (!torch_available()) {
    GTEST_FAIL() << "PyTorch not importable by " << kPython
                 << " (apt-get install python3-torch, as scripts/setup.sh test does)";
  }
  const nn::Index in = spec.input_size, batch = 24;
  nn::Model<float> online(spec), target(spec);
  randomize(online, 1);
  randomize(target, 2);
  const nn::Index n = online.output_size(0);
  Rng rng(3);
  std::vector<float> features(batch * in), next_features(batch * in), rewards(batch),
      discounts(batch);
  std::vector<int64_t> actions(batch);
  for (float& v : features) v = static_cast<float>(rng.normal());
  for (float& v : next_features) v = static_cast<float>(rng.normal());
  for (nn::Index i = 0; i < batch; ++i) {
    actions[i] = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));
    // Rewards of several sizes so that both Huber regions occur; some terminations.
    rewards[i] = static_cast<float>(rng.normal() * (i % 3 == 0 ? 4.0 : 0.3));
    discounts[i] = i % 5 == 0 ? 0.0f : static_cast<float>(std::pow(0.99, 1 + i % 3));
  }
  nn::AdamOptions adam;
  adam.lr = 1e-2;
  adam.eps = 1e-8;
  nn::Adam<float> optimizer(online.parameters(), adam);
  std::vector<float> targets(batch);
  const DQNBatch b{nn::MatrixSpan<const float>(features.data(), batch, in),
                   nn::MatrixSpan<const float>(next_features.data(), batch, in), actions, rewards,
                   discounts};
  const nlohmann::json before = params_json(online);
  const DQNUpdateResult r =
      dqn_update(b, online, target, optimizer, {double_q, max_grad_norm}, targets);
  ASSERT_TRUE(r.applied);

  nlohmann::json c;
  c["spec"] = spec.to_json();
  c["online"] = before;
  c["target"] = params_json(target);
  c["batch"] = {{"features", std::vector<double>(features.begin(), features.end())},
                {"next_features", std::vector<double>(next_features.begin(), next_features.end())},
                {"actions", actions},
                {"rewards", std::vector<double>(rewards.begin(), rewards.end())},
                {"discounts", std::vector<double>(discounts.begin(), discounts.end())}};
  c["double_q"] = double_q;
  c["lr"] = adam.lr;
  c["eps"] = adam.eps;
  c["max_grad_norm"] = max_grad_norm;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("cairn_dqn_torch_" + std::to_string(::getpid()) + "_" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/algorithms/dqn_update_reference.py " +
                          (dir / "case.json").string() + " " + (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json ref = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);

  EXPECT_NEAR(r.terms.loss, ref["loss"].get<double>(), 1e-5 * std::abs(ref["loss"].get<double>()));
  EXPECT_NEAR(r.terms.q_mean, ref["q_mean"].get<double>(),
              1e-5 * std::max(1.0, std::abs(ref["q_mean"].get<double>())));
  EXPECT_NEAR(r.grad_norm, ref["grad_norm"].get<double>(), 1e-5 * ref["grad_norm"].get<double>());
  // Both sides compute in float32 with different summation orders (cairn's products
  // are FMA chains, PyTorch's are blocked), so the targets agree to a few float32 ulp of
  // the terms summed, not of the (sometimes much smaller) result.
  EXPECT_LE(relative_error(std::vector<double>(targets.begin(), targets.end()),
                           ref["targets"].get<std::vector<double>>(), 1e-3),
            1e-5);
  if (max_grad_norm < 1.0) {
    EXPECT_GT(r.grad_norm, max_grad_norm) << "clipping must be exercised";
  }
  for (const nn::TensorInfo& info : online.parameters()) {
    const auto p = online.parameter(info.name);
    EXPECT_LE(relative_error(std::vector<double>(p.begin(), p.end()),
                             ref["params"][info.name].get<std::vector<double>>(), 1e-3),
              1e-5)
        << info.name;
  }
}

TEST(DQNUpdate, DoubleQWithClippingMatchesPyTorch) {
  run_torch_update(nn::ModelSpec::from_json(plain_q_spec(4, 3)), true, 0.1);
}

TEST(DQNUpdate, VanillaTargetsWithoutClippingMatchPyTorch) {
  run_torch_update(nn::ModelSpec::from_json(plain_q_spec(4, 3)), false, 1e6);
}

TEST(DQNUpdate, DuelingNetworkMatchesPyTorch) {
  run_torch_update(nn::dueling_q_network_spec(5, 4, {16, 8}, nn::Activation::relu()), true, 0.5);
}

TEST(DQNUpdate, NonFiniteLossChangesNothing) {
  const nn::ModelSpec spec = nn::ModelSpec::from_json(plain_q_spec(2, 2));
  nn::Model<float> online(spec), target(spec);
  online.initialize(1);
  target.initialize(2);
  nn::Adam<float> optimizer(online.parameters());
  const std::vector<float> f = {0.1f, 0.2f}, rewards = {NAN}, discounts = {0.99f};
  const std::vector<int64_t> actions = {1};
  std::vector<float> targets(1);
  const std::vector<float> before(online.flat_parameters().begin(), online.flat_parameters().end());
  const DQNUpdateResult r =
      dqn_update({nn::MatrixSpan<const float>(f.data(), 1, 2),
                  nn::MatrixSpan<const float>(f.data(), 1, 2), actions, rewards, discounts},
                 online, target, optimizer, {}, targets);
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(optimizer.step_count(), 0);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), online.flat_parameters().begin()));
}

}  // namespace
}  // namespace cairn
