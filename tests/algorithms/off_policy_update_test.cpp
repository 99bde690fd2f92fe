// SAC's and TD3's gradient steps (sac_update.h, td3_update.h) and their shared critics
// (twin_critic.h) against PyTorch doing the same steps (off_policy_update_reference.py),
// plus the properties the algorithms rely on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/sac_update.h"
#include "cairn/algorithms/td3_update.h"
#include "cairn/algorithms/twin_critic.h"
#include "cairn/nn/model_builder.h"
#include "error_matchers.h"
#include "support/torch_reference.h"

namespace cairn {
namespace {

using json = nlohmann::json;
using testing_torch::kPython;
using testing_torch::relative_error;
using testing_torch::torch_available;

constexpr size_t kFeatures = 3, kActionDim = 2, kBatch = 16, kHidden = 16;

nn::ModelSpec mlp(const std::string& block, nn::Index in, nn::Index out) {
  return nn::ModelBuilder(in)
      .add(nn::Block(block)
               .dense(kHidden, nn::Activation::relu())
               .dense(kHidden, nn::Activation::relu())
               .dense(out))
      .output(block)
      .build();
}

// Initialised weights with non-zero biases (so the reference checks them too).
void randomize_biases(nn::Model<float>& m, Rng& rng) {
  for (const nn::TensorInfo& t : m.parameters()) {
    if (t.name.ends_with("bias")) {
      auto p = m.parameter(t.name);
      for (float& v : p) v = static_cast<float>(rng.uniform(-0.2, 0.2));
    }
  }
}

// The dense layers of `m` as [[kernel, shape], [bias, shape]] lists, in order.
json layers_of(const nn::Model<float>& m) {
  json layers = json::array();
  const auto& params = m.parameters();
  for (size_t i = 0; i + 1 < params.size(); i += 2) {
    EXPECT_TRUE(params[i].name.ends_with("kernel")) << params[i].name;
    EXPECT_TRUE(params[i + 1].name.ends_with("bias")) << params[i + 1].name;
    json layer = json::array();
    for (size_t k : {i, i + 1}) {
      const auto v = m.parameter(params[k].name);
      layer.push_back({std::vector<float>(v.begin(), v.end()), params[k].shape});
    }
    layers.push_back(layer);
  }
  return layers;
}

std::vector<double> flat_of(const json& j) {
  std::vector<double> out;
  for (const json& t : j)
    for (const json& v : t) out.push_back(v.get<double>());
  return out;
}

std::vector<double> flat_of(const nn::Model<float>& m) {
  const auto p = m.flat_parameters();
  return {p.begin(), p.end()};
}

struct Fixture {
  Rng rng{7};
  nn::Model<float> actor;
  std::unique_ptr<TwinCritic> critics;
  std::vector<float> obs, next_obs, actions, rewards, discounts;

  explicit Fixture(nn::Index actor_outputs) : actor(mlp("pi", kFeatures, actor_outputs)) {
    actor.initialize(rng);
    randomize_biases(actor, rng);
    nn::AdamOptions adam;
    adam.lr = 1e-2;
    adam.eps = 1e-8;
    critics = std::make_unique<TwinCritic>(mlp("q", kFeatures + kActionDim, 1), adam, rng);
    for (size_t i = 0; i < 2; ++i) {
      randomize_biases(critics->critic(i), rng);
      // Targets different from the critics, as they are after some training.
      critics->target(i) = critics->critic(i);
      randomize_biases(critics->target(i), rng);
    }
    for (size_t k = 0; k < kBatch * kFeatures; ++k) {
      obs.push_back(static_cast<float>(rng.uniform(-1, 1)));
      next_obs.push_back(static_cast<float>(rng.uniform(-1, 1)));
    }
    for (size_t k = 0; k < kBatch * kActionDim; ++k)
      actions.push_back(static_cast<float>(rng.uniform(-1, 1)));
    for (size_t b = 0; b < kBatch; ++b) {
      rewards.push_back(static_cast<float>(rng.uniform(-2, 1)));
      // Some terminated (discount 0), the rest gamma.
      discounts.push_back(b % 5 == 0 ? 0.0f : 0.99f);
    }
  }

  TransitionBatchView batch() const {
    const auto B = static_cast<nn::Index>(kBatch);
    return {{obs.data(), B, kFeatures},
            {actions.data(), B, kActionDim},
            rewards,
            discounts,
            {next_obs.data(), B, kFeatures}};
  }

  json case_json(const std::string& algo) const {
    json c;
    c["algo"] = algo;
    c["batch"] = kBatch;
    c["features"] = kFeatures;
    c["action_dim"] = kActionDim;
    c["obs"] = obs;
    c["next_obs"] = next_obs;
    c["actions"] = actions;
    c["rewards"] = rewards;
    c["discounts"] = discounts;
    c["actor"] = layers_of(actor);
    c["critic_0"] = layers_of(critics->critic(0));
    c["critic_1"] = layers_of(critics->critic(1));
    c["target_0"] = layers_of(critics->target(0));
    c["target_1"] = layers_of(critics->target(1));
    c["adam_eps"] = 1e-8;
    c["critic_lr"] = 1e-2;
    c["actor_lr"] = 3e-3;
    c["tau"] = 0.05;
    return c;
  }
};

json run_reference(const json& c) {
  EXPECT_TRUE(torch_available()) << kPython
                                 << " cannot import torch (apt-get install python3-torch)";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("cairn_off_policy_torch_" + std::to_string(::getpid()) + "_" + c["algo"].get<std::string>());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/algorithms/off_policy_update_reference.py " +
                          (dir / "case.json").string() + " " + (dir / "result.json").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  json r = json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);
  return r;
}

constexpr double kTolerance = 1e-5;
constexpr double kFloor = 1e-2;

void expect_close(const std::vector<double>& ours, const std::vector<double>& theirs,
                  const std::string& what) {
  EXPECT_LT(relative_error(ours, theirs, kFloor), kTolerance) << what;
}

TEST(SACUpdate, MatchesPyTorchOverThreeGradientSteps) {
  Fixture f(2 * kActionDim);
  json c = f.case_json("sac");
  c["steps"] = 3;
  c["initial_alpha"] = 0.5;
  c["alpha_lr"] = 1e-2;
  c["target_entropy"] = -static_cast<double>(kActionDim);
  nn::AdamOptions actor_adam{.lr = 3e-3, .eps = 1e-8}, alpha_adam{.lr = 1e-2, .eps = 1e-8};
  SACUpdateSettings s{.autotune = true,
                      .initial_alpha = 0.5,
                      .target_entropy = -static_cast<double>(kActionDim),
                      .tau = 0.05};
  SACUpdate update(f.actor.parameters(), kFeatures, kActionDim, actor_adam, alpha_adam, s);
  Rng rng(11);
  std::vector<double> critic_loss, actor_loss, alpha_loss;
  for (int step = 0; step < 3; ++step) {
    const SACStepResult r = update.step(f.actor, *f.critics, f.batch(), rng, true);
    ASSERT_TRUE(r.finite);
    critic_loss.push_back(r.critic_loss);
    actor_loss.push_back(r.actor_loss);
    alpha_loss.push_back(r.alpha_loss);
    const auto next = update.last_next_noise(), now = update.last_noise();
    c["next_noise"].push_back(std::vector<float>(next.begin(), next.end()));
    c["noise"].push_back(std::vector<float>(now.begin(), now.end()));
  }
  const json ref = run_reference(c);
  expect_close(critic_loss, ref["critic_loss"].get<std::vector<double>>(), "critic loss");
  expect_close(actor_loss, ref["actor_loss"].get<std::vector<double>>(), "actor loss");
  expect_close(alpha_loss, ref["alpha_loss"].get<std::vector<double>>(), "alpha loss");
  EXPECT_NEAR(update.log_alpha(), ref["log_alpha"].get<double>(), 1e-6);
  expect_close(flat_of(f.actor), flat_of(ref["actor"]), "actor weights");
  expect_close(flat_of(f.critics->critic(0)), flat_of(ref["critic_0"]), "critic 0 weights");
  expect_close(flat_of(f.critics->critic(1)), flat_of(ref["critic_1"]), "critic 1 weights");
  expect_close(flat_of(f.critics->target(0)), flat_of(ref["target_0"]), "target 0 weights");
  expect_close(flat_of(f.critics->target(1)), flat_of(ref["target_1"]), "target 1 weights");
}

TEST(TD3Update, MatchesPyTorchWithADelayedActorUpdate) {
  Fixture f(kActionDim);
  nn::Model<float> target_actor = f.actor;
  randomize_biases(target_actor, f.rng);
  json c = f.case_json("td3");
  c["steps"] = 4;
  c["policy_delay"] = 2;
  c["policy_noise"] = 0.2;
  c["noise_clip"] = 0.3;  // binds for some of the noise
  c["target_actor"] = layers_of(target_actor);
  nn::AdamOptions actor_adam{.lr = 3e-3, .eps = 1e-8};
  TD3UpdateSettings s{.policy_noise = 0.2, .noise_clip = 0.3, .tau = 0.05};
  TD3Update update(f.actor.parameters(), kFeatures, kActionDim, actor_adam, s);
  Rng rng(12);
  std::vector<double> critic_loss, actor_loss;
  for (int step = 0; step < 4; ++step) {
    const TD3StepResult r =
        update.step(f.actor, target_actor, *f.critics, f.batch(), rng, step % 2 == 1);
    ASSERT_TRUE(r.finite);
    critic_loss.push_back(r.critic_loss);
    if (step % 2 == 1) actor_loss.push_back(r.actor_loss);
    EXPECT_EQ(std::isnan(r.actor_loss), step % 2 == 0);
    const auto noise = update.last_noise();
    c["noise"].push_back(std::vector<float>(noise.begin(), noise.end()));
  }
  const json ref = run_reference(c);
  expect_close(critic_loss, ref["critic_loss"].get<std::vector<double>>(), "critic loss");
  expect_close(actor_loss, ref["actor_loss"].get<std::vector<double>>(), "actor loss");
  expect_close(flat_of(f.actor), flat_of(ref["actor"]), "actor weights");
  expect_close(flat_of(target_actor), flat_of(ref["target_actor"]), "target actor weights");
  expect_close(flat_of(f.critics->critic(0)), flat_of(ref["critic_0"]), "critic 0 weights");
  expect_close(flat_of(f.critics->critic(1)), flat_of(ref["critic_1"]), "critic 1 weights");
  expect_close(flat_of(f.critics->target(0)), flat_of(ref["target_0"]), "target 0 weights");
  expect_close(flat_of(f.critics->target(1)), flat_of(ref["target_1"]), "target 1 weights");
}

TEST(TwinCritic, StartsWithTargetsEqualToTheCriticsAndDifferentCritics) {
  Rng rng(3);
  TwinCritic critics(mlp("q", 4, 1), {}, rng);
  for (size_t i = 0; i < 2; ++i) {
    const auto a = critics.critic(i).flat_parameters(), b = critics.target(i).flat_parameters();
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size_bytes()), 0);
  }
  const auto c0 = critics.critic(0).flat_parameters(), c1 = critics.critic(1).flat_parameters();
  EXPECT_NE(std::memcmp(c0.data(), c1.data(), c0.size_bytes()), 0);
}

TEST(TwinCritic, RefusesASpecWithoutOneColumnQ) {
  Rng rng(3);
  EXPECT_ERROR_CONTAINS(TwinCritic(mlp("q", 4, 2), {}, rng), "output 'q' must have 1 column");
  EXPECT_ERROR_CONTAINS(TwinCritic(mlp("v", 4, 1), {}, rng), "q");
}

TEST(TwinCritic, PolyakUpdateWithTauOneCopiesAndZeroKeeps) {
  std::vector<float> online = {1, 2, 3}, target = {5, 6, 7};
  polyak_update(online, target, 0.0);
  EXPECT_EQ(target, (std::vector<float>{5, 6, 7}));
  polyak_update(online, target, 0.5);
  EXPECT_EQ(target, (std::vector<float>{3, 4, 5}));
  polyak_update(online, target, 1.0);
  EXPECT_EQ(target, online);
  std::vector<float> shorter = {1};
  EXPECT_ERROR_CONTAINS(polyak_update(online, shorter, 0.5), "sizes differ");
}

TEST(TwinCritic, StateRoundTripsExactlyAndRefusesMismatchedTensors) {
  Rng rng(3);
  TwinCritic a(mlp("q", 4, 1), {}, rng), b(mlp("q", 4, 1), {}, rng);
  std::vector<float> inputs(8 * 4, 0.5f), targets(8, 1.0f);
  a.loss_and_gradients({inputs.data(), 8, 4}, targets);
  a.step();
  a.polyak_update(0.1);
  TensorDict state("state.safetensors");
  a.save_state(state, "critics/");
  b.restore_state(state, "critics/");
  TensorDict again("again");
  b.save_state(again, "critics/");
  EXPECT_TRUE(state == again);
  // A tensor of the wrong shape is refused, naming it, and leaves the critics unchanged
  // (the algorithm frame refuses non-finite state tensors before any restore_state).
  TensorDict bad = state;
  std::vector<float> w = bad.values<float>("critics/target_1/q/dense_0/kernel");
  w.pop_back();
  bad.insert_or_assign("critics/target_1/q/dense_0/kernel",
                       Tensor::f32(w, {static_cast<int64_t>(w.size())}));
  EXPECT_ERROR_CONTAINS(b.restore_state(bad, "critics/"),
                        "tensor 'critics/target_1/q/dense_0/kernel' has shape");
  TensorDict after("after");
  b.save_state(after, "critics/");
  EXPECT_TRUE(after == state);
}

TEST(SACUpdate, WithoutAutotuneAlphaStaysAndNoAlphaLoss) {
  Fixture f(2 * kActionDim);
  SACUpdateSettings s{.autotune = false, .alpha = 0.3};
  SACUpdate update(f.actor.parameters(), kFeatures, kActionDim, {}, {}, s);
  Rng rng(1);
  const SACStepResult r = update.step(f.actor, *f.critics, f.batch(), rng, true);
  EXPECT_TRUE(std::isnan(r.alpha_loss));
  EXPECT_DOUBLE_EQ(r.alpha, 0.3);
  EXPECT_DOUBLE_EQ(update.alpha(), 0.3);
}

TEST(SACUpdate, NonFiniteRewardStopsBeforeAnyOptimiserStep) {
  Fixture f(2 * kActionDim);
  f.rewards[3] = std::numeric_limits<float>::infinity();
  SACUpdate update(f.actor.parameters(), kFeatures, kActionDim, {}, {}, {});
  const std::vector<double> actor_before = flat_of(f.actor),
                            critic_before = flat_of(f.critics->critic(0));
  Rng rng(1);
  const SACStepResult r = update.step(f.actor, *f.critics, f.batch(), rng, true);
  EXPECT_FALSE(r.finite);
  EXPECT_EQ(flat_of(f.actor), actor_before);
  EXPECT_EQ(flat_of(f.critics->critic(0)), critic_before);
  EXPECT_EQ(f.critics->optimizer(0).step_count(), 0);
}

TEST(SACUpdate, RefusesAnActorOfTheWrongWidth) {
  Fixture f(kActionDim);  // a TD3 actor: action_dim columns, not 2 * action_dim
  SACUpdate update(f.actor.parameters(), kFeatures, kActionDim, {}, {}, {});
  Rng rng(1);
  EXPECT_ERROR_CONTAINS(update.step(f.actor, *f.critics, f.batch(), rng, true),
                        "expected 2 * action_dim = 4");
}

}  // namespace
}  // namespace cairn
