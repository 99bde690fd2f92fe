// Policy heads (policy_head.h): construction errors, the deterministic action of each
// head against PyTorch, exploration (seeded, within bounds, epsilon's extremes), the
// options' JSON and the exploration setters.
#include "cairn/policy/policy_head.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/error.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "error_matchers.h"
#include "export/export_test_policies.h"
#include "support/torch_reference.h"

namespace cairn {
namespace {

using testing_torch::kPython;
using testing_torch::torch_available;

Policy make(PolicyHead head, Space obs, Space act, const nn::ModelSpec& spec) {
  PolicyOptions o;
  o.head = head;
  return Policy(std::move(obs), std::move(act), spec, o);
}

std::string construction_error(PolicyHead head, Space act, const nn::ModelSpec& spec) {
  try {
    make(head, Space::box(-1.0f, 1.0f, {3}), std::move(act), spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PolicyHead, NamesRoundTripAndAnUnknownNameIsQuoted) {
  for (PolicyHead h : {PolicyHead::kStochastic, PolicyHead::kSquashedGaussian,
                       PolicyHead::kDeterministic, PolicyHead::kGreedyQ}) {
    EXPECT_EQ(policy_head_from_string(to_string(h)), h);
  }
  EXPECT_EQ(to_string(PolicyHead::kSquashedGaussian), "squashed_gaussian");
  EXPECT_EQ(to_string(PolicyHead::kGreedyQ), "greedy_q");
  EXPECT_ERROR_CONTAINS(policy_head_from_string("gredy_q"), "'gredy_q'");
  EXPECT_ERROR_CONTAINS(policy_head_from_string("x"), "greedy_q");
}

TEST(PolicyHead, OptionsJsonRoundTripsAndEveryKeyIsValidated) {
  PolicyOptions o;
  o.head = PolicyHead::kDeterministic;
  o.exploration_noise = 0.3;
  o.exploration_epsilon = 0.25;
  EXPECT_EQ(PolicyOptions::from_json(o.to_json()), o);
  EXPECT_EQ(o.to_json()["head"], "deterministic");
  // Options written before heads existed read as the stochastic head.
  const PolicyOptions old = PolicyOptions::from_json(
      {{"normalize_observations", false}, {"observation_clip", 10.0}, {"log_std_init", 0.0}});
  EXPECT_EQ(old.head, PolicyHead::kStochastic);
  EXPECT_ERROR_CONTAINS(PolicyOptions::from_json({{"head", "sac"}}), "'head'");
  EXPECT_ERROR_CONTAINS(PolicyOptions::from_json({{"head", 3}}), "'head'");
  EXPECT_ERROR_CONTAINS(PolicyOptions::from_json({{"exploration_noise", -0.1}}),
                        "'exploration_noise'");
  EXPECT_ERROR_CONTAINS(PolicyOptions::from_json({{"exploration_noise", "big"}}),
                        "'exploration_noise'");
  EXPECT_ERROR_CONTAINS(PolicyOptions::from_json({{"exploration_epsilon", 1.5}}),
                        "'exploration_epsilon'");
}

TEST(PolicyHead, ConstructionErrorsNameTheHeadAndWhatDoesNotFit) {
  const Space box2 = Space::box(-2.0f, 2.0f, {2});
  // squashed_gaussian: 2 * d columns, finite bounds, Box only.
  EXPECT_NE(construction_error(PolicyHead::kSquashedGaussian, box2,
                               nn::deterministic_actor_spec(3, 2, {8}))
                .find("squashed_gaussian head for Box"),
            std::string::npos);
  EXPECT_NE(construction_error(PolicyHead::kSquashedGaussian, box2,
                               nn::deterministic_actor_spec(3, 2, {8}))
                .find("needs 4"),
            std::string::npos);
  EXPECT_NE(construction_error(PolicyHead::kSquashedGaussian, Space::box(-INFINITY, INFINITY, {2}),
                               nn::squashed_gaussian_actor_spec(3, 2, {8}))
                .find("finite bounds"),
            std::string::npos);
  EXPECT_NE(construction_error(PolicyHead::kSquashedGaussian, Space::discrete(2),
                               nn::squashed_gaussian_actor_spec(3, 1, {8}))
                .find("squashed_gaussian head needs a Box"),
            std::string::npos);
  // deterministic: d columns.
  EXPECT_NE(construction_error(PolicyHead::kDeterministic, box2,
                               nn::squashed_gaussian_actor_spec(3, 2, {8}))
                .find("needs 2"),
            std::string::npos);
  // greedy_q: Discrete only, a "q" output with n columns.
  EXPECT_NE(construction_error(PolicyHead::kGreedyQ, Space::multi_discrete({2, 3}),
                               nn::q_network_spec(3, 5, {8}))
                .find("needs a Discrete action space"),
            std::string::npos);
  EXPECT_NE(construction_error(PolicyHead::kGreedyQ, box2, nn::q_network_spec(3, 2, {8}))
                .find("Discrete"),
            std::string::npos);
  EXPECT_NE(construction_error(PolicyHead::kGreedyQ, Space::discrete(4),
                               nn::deterministic_actor_spec(3, 4, {8}))
                .find("greedy_q head reads the model output \"q\""),
            std::string::npos);
  EXPECT_NE(
      construction_error(PolicyHead::kGreedyQ, Space::discrete(4), nn::q_network_spec(3, 3, {8}))
          .find("one Q-value per action"),
      std::string::npos);
  // stochastic still needs "vf".
  EXPECT_NE(
      construction_error(PolicyHead::kStochastic, Space::discrete(4), nn::q_network_spec(3, 4, {8}))
          .find("stochastic head reads the model output \"pi\""),
      std::string::npos);
  // Exploration parameters are checked at construction too.
  PolicyOptions bad;
  bad.head = PolicyHead::kGreedyQ;
  bad.exploration_epsilon = -0.5;
  EXPECT_ERROR_CONTAINS(
      Policy(Space::box(-1.0f, 1.0f, {3}), Space::discrete(4), nn::q_network_spec(3, 4), bad),
      "'exploration_epsilon'");
}

TEST(PolicyHead, HeadsWithoutAValueOutputRefuseValueQueries) {
  Policy p = export_testing::greedy_q_policy();
  EXPECT_FALSE(p.has_value());
  EXPECT_EQ(std::string(p.head_output_name()), "q");
  EXPECT_EQ(p.head_output_size(), 5u);
  const std::vector<float> obs = {0.1f, 0.2f, 0.03f, -0.4f};
  EXPECT_ERROR_CONTAINS(p.value(obs), "greedy_q head has no value output");
  Policy sac = export_testing::squashed_gaussian_policy();
  EXPECT_ERROR_CONTAINS(sac.value(std::vector<float>{0, 0, 0}),
                        "squashed_gaussian head has no value output");
  EXPECT_TRUE(export_testing::cartpole_policy().has_value());
}

TEST(PolicyHead, ExplorationSettersCheckTheirRange) {
  Policy p = export_testing::greedy_q_policy();
  p.set_exploration_epsilon(0.5);
  EXPECT_EQ(p.options().exploration_epsilon, 0.5);
  EXPECT_ERROR_CONTAINS(p.set_exploration_epsilon(1.01), "set_exploration_epsilon");
  EXPECT_ERROR_CONTAINS(p.set_exploration_epsilon(NAN), "[0, 1]");
  p.set_exploration_noise(0.0);
  EXPECT_ERROR_CONTAINS(p.set_exploration_noise(-1), "set_exploration_noise");
  EXPECT_ERROR_CONTAINS(p.set_exploration_noise(INFINITY), "'exploration_noise'");
}

// --- The deterministic action against PyTorch ------------------------------------------

void expect_matches_torch(Policy& policy, const std::vector<std::string>& activations) {
  if (!torch_available()) {
    GTEST_FAIL() << "PyTorch not importable by " << kPython
                 << " (apt-get install python3-torch, as scripts/setup.sh test does)";
  }
  const size_t batch = 40;
  const std::vector<float> obs = sample_observations(policy.observation_space(), batch, 77);
  std::vector<float> features(batch * policy.feature_size());
  policy.preprocess(obs, features);
  nlohmann::json c;
  c["batch"] = batch;
  c["obs"] = features;
  c["head"] = to_string(policy.head());
  size_t k = 0;
  const auto& params = policy.model().parameters();
  for (size_t i = 0; i < params.size(); i += 2, ++k) {
    nlohmann::json layer;
    const auto kernel = policy.model().parameter(params[i].name);
    const auto bias = policy.model().parameter(params[i + 1].name);
    layer["in"] = params[i].shape[0];
    layer["out"] = params[i].shape[1];
    layer["kernel"] = std::vector<float>(kernel.begin(), kernel.end());
    layer["bias"] = std::vector<float>(bias.begin(), bias.end());
    layer["activation"] = activations.at(k);
    c["layers"].push_back(layer);
  }
  if (policy.action_space().is_box()) {
    c["low"] = policy.action_space().low();
    c["high"] = policy.action_space().high();
  } else {
    c["start"] = policy.action_space().start()[0];
  }
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("cairn_head_torch_" + std::to_string(::getpid()) + "_" + to_string(policy.head()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "case.json") << c.dump();
  const std::string cmd = std::string(kPython) + " " + CAIRN_SOURCE_DIR +
                          "/tests/policy/policy_head_reference.py " + (dir / "case.json").string() +
                          " " + (dir / "result.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const nlohmann::json r = nlohmann::json::parse(std::ifstream(dir / "result.json"));
  std::filesystem::remove_all(dir);

  Rng unused(0);
  const size_t n = policy.action_size();
  const std::vector<double> raw = r["raw"];
  const auto inputs = std::vector<float>();
  if (policy.action_space().is_integer()) {
    std::vector<int64_t> actions(batch * n);
    policy.compute_actions(obs, false, unused, actions, {});
    EXPECT_EQ(actions, r["action"].get<std::vector<int64_t>>());
  } else {
    std::vector<float> actions(batch * n);
    policy.compute_actions(obs, false, unused, {}, actions);
    const std::vector<double> want = r["action"];
    EXPECT_LE(testing_torch::relative_error({actions.begin(), actions.end()}, want, 1e-3), 1e-5);
    for (size_t i = 0; i < actions.size(); ++i) {
      EXPECT_GE(actions[i], policy.action_space().low()[i % n]);
      EXPECT_LE(actions[i], policy.action_space().high()[i % n]);
    }
  }
  const auto di = policy.distribution_inputs().flat();
  // The distribution inputs are raw network outputs (Q-values up to ~28 here): both sides
  // sum in float32 in different orders, so an output that cancels to near zero carries an
  // absolute error of a few ulps of the largest terms. The floor of 1e-2 of the largest
  // output allows ~1.5 ulps of it there (1e-3 allowed 0.15 ulp, which torch's summation
  // order on an Intel Xeon of family 6, model 207 exceeded by a hair: 1.15e-5).
  EXPECT_LE(testing_torch::relative_error({di.begin(), di.end()}, raw, 1e-2), 1e-5);
}

TEST(PolicyHead, SquashedGaussianDeterministicActionIsTanhOfTheMeanRescaledAsInTorch) {
  Policy p = export_testing::squashed_gaussian_policy();
  expect_matches_torch(p, {"relu", "relu", "identity"});
}

TEST(PolicyHead, DeterministicHeadActionIsTanhRescaledAsInTorch) {
  Policy p = export_testing::deterministic_policy();
  expect_matches_torch(p, {"tanh", "tanh", "identity"});
}

TEST(PolicyHead, GreedyQActionIsTheFirstArgmaxPlusStartAsInTorch) {
  Policy p = export_testing::greedy_q_policy();
  expect_matches_torch(p, {"relu", "relu", "identity"});
}

TEST(PolicyHead, GreedyQTiesTakeTheFirstMaximum) {
  Policy p = export_testing::greedy_q_policy();
  // Zero the last layer: every Q-value is the bias; make actions 1 and 3 tie for the max.
  for (float& v : p.model().parameter("q/dense_2/kernel")) v = 0.0f;
  std::span<float> b = p.model().parameter("q/dense_2/bias");
  const float q[] = {0.0f, 2.0f, 1.0f, 2.0f, -1.0f};
  std::copy(std::begin(q), std::end(q), b.begin());
  EXPECT_EQ(p.compute_action(std::vector<float>{0, 0, 0, 0}).discrete[0], 1 - 2);
}

// --- Exploring -------------------------------------------------------------------------

template <typename T>
std::vector<T> explore(Policy& p, const std::vector<float>& obs, uint64_t seed) {
  Rng rng(seed);
  const size_t batch = obs.size() / p.observation_size();
  std::vector<T> out(batch * p.action_size());
  if constexpr (std::is_same_v<T, int64_t>) {
    p.compute_actions(obs, true, rng, out, {});
  } else {
    p.compute_actions(obs, true, rng, {}, out);
  }
  return out;
}

TEST(PolicyHead, ContinuousExplorationIsSeededAndStaysWithinTheBounds) {
  for (Policy p :
       {export_testing::squashed_gaussian_policy(), export_testing::deterministic_policy()}) {
    SCOPED_TRACE(to_string(p.head()));
    const std::vector<float> obs = sample_observations(p.observation_space(), 200, 3);
    const std::vector<float> a = explore<float>(p, obs, 11), b = explore<float>(p, obs, 11);
    const std::vector<float> c = explore<float>(p, obs, 12);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    std::vector<float> greedy(a.size());
    Rng unused(0);
    p.compute_actions(obs, false, unused, {}, greedy);
    EXPECT_NE(a, greedy);
    const size_t n = p.action_size();
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_GE(a[i], p.action_space().low()[i % n]);
      EXPECT_LE(a[i], p.action_space().high()[i % n]);
    }
    // One action at a time draws the same noise as the batch (row-major draws). The
    // network's output for a batch of 1 may differ from a batch of 200 in the last bits
    // (different matrix kernels), hence the tolerance.
    Rng rng(11);
    for (size_t r = 0; r < 3; ++r) {
      const ActionRef one = p.compute_action(
          std::span<const float>(obs.data() + r * p.observation_size(), p.observation_size()), true,
          rng);
      for (size_t j = 0; j < n; ++j) EXPECT_NEAR(one.continuous[j], a[r * n + j], 1e-5);
    }
  }
}

TEST(PolicyHead, DeterministicHeadNoiseHasTheConfiguredScale) {
  Policy p = export_testing::deterministic_policy();
  p.set_exploration_noise(0.01);  // small: the clip rarely binds
  const std::vector<float> obs(4 * 5000, 0.0f);
  const std::vector<float> a = explore<float>(p, obs, 5);
  Rng unused(0);
  const std::vector<float> mean(p.compute_action(std::vector<float>(4, 0.0f)).continuous.begin(),
                                p.compute_action(std::vector<float>(4, 0.0f)).continuous.end());
  const auto& low = p.action_space().low();
  const auto& high = p.action_space().high();
  for (size_t j = 0; j < 3; ++j) {
    double sum = 0, sum2 = 0;
    for (size_t r = 0; r < 5000; ++r) {
      const double d = a[r * 3 + j] - mean[j];
      sum += d;
      sum2 += d * d;
    }
    const double sd = std::sqrt(sum2 / 5000 - (sum / 5000) * (sum / 5000));
    const double want = 0.01 * (high[j] - low[j]) / 2;
    EXPECT_NEAR(sd, want, 0.05 * want) << "element " << j;
  }
  // Zero noise explores to the deterministic action.
  p.set_exploration_noise(0.0);
  const std::vector<float> z = explore<float>(p, std::vector<float>(4, 0.0f), 5);
  EXPECT_EQ(z, mean);
}

TEST(PolicyHead, EpsilonGreedyExtremesAndReproducibility) {
  Policy p = export_testing::greedy_q_policy();
  const std::vector<float> obs = sample_observations(p.observation_space(), 400, 4);
  std::vector<int64_t> greedy(400);
  Rng unused(0);
  p.compute_actions(obs, false, unused, greedy, {});
  p.set_exploration_epsilon(0.0);
  EXPECT_EQ(explore<int64_t>(p, obs, 1), greedy);
  p.set_exploration_epsilon(1.0);
  const std::vector<int64_t> random = explore<int64_t>(p, obs, 1);
  EXPECT_EQ(random, explore<int64_t>(p, obs, 1));
  EXPECT_NE(random, explore<int64_t>(p, obs, 2));
  const std::set<int64_t> seen(random.begin(), random.end());
  EXPECT_EQ(seen, (std::set<int64_t>{-2, -1, 0, 1, 2}));
  // A middle epsilon: about that fraction of rows is random (and 1/5 of those greedy).
  p.set_exploration_epsilon(0.5);
  const std::vector<int64_t> mixed = explore<int64_t>(p, obs, 3);
  size_t differ = 0;
  for (size_t i = 0; i < 400; ++i) differ += mixed[i] != greedy[i];
  EXPECT_NEAR(static_cast<double>(differ) / 400, 0.5 * 0.8, 0.08);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// The off-policy model zoo: outputs per head, and PyTorch's default nn.Linear
// initialisation (kernel and bias uniform(+-1/sqrt(fan_in)), kernel variance 1/(3 fan_in)).
TEST(OffPolicyModelZoo, SpecsHaveTheHeadsOutputsAndTorchLinearInit) {
  struct Case {
    nn::ModelSpec spec;
    const char* output;
    nn::Index columns;
  };
  const std::vector<Case> cases = {
      {nn::squashed_gaussian_actor_spec(3, 2), "pi", 4},
      {nn::deterministic_actor_spec(3, 2), "pi", 2},
      {nn::q_network_spec(4, 5), "q", 5},
      {nn::q_critic_spec(3 + 2), "q", 1},
  };
  for (const Case& c : cases) {
    nn::Model<float> model(c.spec);
    model.initialize(3);
    ASSERT_EQ(model.num_outputs(), 1u);
    EXPECT_EQ(model.output_size(model.output_index(c.output)), c.columns);
    for (const nn::TensorInfo& info : model.parameters()) {
      if (!info.name.ends_with("/kernel")) continue;
      const double fan_in = static_cast<double>(info.shape[0]);
      const double bound = 1.0 / std::sqrt(fan_in);
      const std::string bias_name = info.name.substr(0, info.name.size() - 6) + "bias";
      double sum2 = 0;
      const auto kernel = model.parameter(info.name);
      for (float v : kernel) {
        EXPECT_LE(std::abs(v), bound * (1 + 1e-6)) << info.name;
        sum2 += static_cast<double>(v) * v;
      }
      for (float v : model.parameter(bias_name)) EXPECT_LE(std::abs(v), bound * (1 + 1e-6));
      if (kernel.size() >= 1000) {
        EXPECT_NEAR(sum2 / static_cast<double>(kernel.size()), 1.0 / (3.0 * fan_in),
                    0.1 / (3.0 * fan_in))
            << info.name;
      }
    }
  }
  EXPECT_ERROR_CONTAINS(nn::q_network_spec(4, 0), "q_network_spec");
  EXPECT_ERROR_CONTAINS(nn::q_critic_spec(5, {64, 0}), "hidden_sizes");
}

}  // namespace
}  // namespace cairn
