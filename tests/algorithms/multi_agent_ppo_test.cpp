// Multi-agent PPO: learning on the three multi-agent tasks (independent, competitive,
// cooperative), checkpoints of several policies (each restores alone, the run resumes bit for
// bit, exports are proven), the mapping and the policies' settings as data, and bad configs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/multi_agent_ppo.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/export/c_export.h"
#include "cairn/export/onnx_export.h"
#include "cairn/io/safetensors.h"
#include "checkpoint/checkpoint_test_files.h"
#include "error_matchers.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing_io::ScratchDir;

// PPO's CartPole preset settings (configs/ppo-CartPole-v1.json) for a multi-agent CartPole.
MultiAgentPPOConfig cartpole_config(int agents, const json& policies, const json& mapping,
                                    uint64_t seed) {
  json j = {{"env_id", "MultiAgentCartPole-v0"},
            {"env_options", {{"num_agents", agents}}},
            {"num_envs", 8},
            {"num_steps", 32},
            {"hidden_sizes", {32, 32}},
            {"activation", "tanh"},
            {"learning_rate", 0.003},
            {"gamma", 0.98},
            {"gae_lambda", 0.8},
            {"total_timesteps", 150000},
            {"seed", seed},
            {"policies", policies},
            {"policy_mapping", mapping}};
  return MultiAgentPPOConfig::from_json(j);
}

// Trains until every listed policy's mean return of its last 100 episodes reaches `target`,
// or `max_steps` environment steps. Returns each policy's last mean.
std::vector<double> train_until(MultiAgentPPO& algo, const std::vector<std::string>& ids,
                                double target, int64_t max_steps) {
  std::vector<double> means(ids.size(), 0.0);
  while (algo.timesteps() < max_steps) {
    const TrainResult r = algo.train();
    bool all = true;
    for (size_t i = 0; i < ids.size(); ++i) {
      means[i] = r.metrics.at(ids[i] + "/episode_return_mean");
      all = all && means[i] >= target;
    }
    if (all) break;
  }
  return means;
}

std::vector<float> flat_weights(const Policy& p) {
  const std::span<const float> w = p.model().flat_parameters();
  return std::vector<float>(w.begin(), w.end());
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// --- Learning -------------------------------------------------------------------------

TEST(MultiAgentPPOLearning, TwoCartPolesOnTwoPoliciesEachReach475) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    MultiAgentPPO algo(cartpole_config(2, {{"left", json::object()}, {"right", json::object()}},
                                       {{"agent_0", "left"}, {"agent_1", "right"}}, seed));
    const std::vector<double> means = train_until(algo, {"left", "right"}, 475.0, 150000);
    EXPECT_GE(means[0], 475.0) << "seed " << seed;
    EXPECT_GE(means[1], 475.0) << "seed " << seed;
  }
}

TEST(MultiAgentPPOLearning, TwoCartPolesSharingOnePolicyReach475) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    MultiAgentPPO algo(
        cartpole_config(2, {{"shared", json::object()}}, {{"agent_*", "shared"}}, seed));
    const std::vector<double> means = train_until(algo, {"shared"}, 475.0, 150000);
    EXPECT_GE(means[0], 475.0) << "seed " << seed;
  }
}

// Reward normalisation (a policy's own setting) learns as well: the right CartPole's policy
// trains on scaled rewards, the left one's on raw rewards.
TEST(MultiAgentPPOLearning, TwoCartPolesOneWithNormalisedRewardsEachReach475) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    MultiAgentPPO algo(cartpole_config(
        2, {{"left", json::object()}, {"right", {{"config", {{"normalize_rewards", true}}}}}},
        {{"agent_0", "left"}, {"agent_1", "right"}}, seed));
    const std::vector<double> means = train_until(algo, {"left", "right"}, 475.0, 150000);
    EXPECT_GE(means[0], 475.0) << "seed " << seed;
    EXPECT_GE(means[1], 475.0) << "seed " << seed;
  }
}

// A fixed opponent that plays rock 60%, paper 25% and scissors 15% of the time whatever it
// sees: its action head's weights are zero and its bias the log-probabilities.
void make_biased_opponent(Policy& opponent) {
  nn::Model<float>& model = opponent.model();
  const std::vector<nn::TensorInfo>& params = model.parameters();
  const std::span<float> flat = model.flat_parameters();
  // The policy head's last layer: the last "pi" kernel and bias (3 outputs).
  const nn::TensorInfo* kernel = nullptr;
  const nn::TensorInfo* bias = nullptr;
  for (const nn::TensorInfo& t : params) {
    if (t.name.rfind("pi", 0) != 0) continue;
    if (t.name.ends_with("kernel")) kernel = &t;
    if (t.name.ends_with("bias")) bias = &t;
  }
  ASSERT_NE(kernel, nullptr);
  ASSERT_NE(bias, nullptr);
  ASSERT_EQ(bias->size, 3u);
  std::fill_n(flat.begin() + static_cast<std::ptrdiff_t>(kernel->offset), kernel->size, 0.0f);
  const float logits[3] = {std::log(0.60f), std::log(0.25f), std::log(0.15f)};
  std::copy(logits, logits + 3, flat.begin() + static_cast<std::ptrdiff_t>(bias->offset));
}

TEST(MultiAgentPPOLearning, RockPaperScissorsLearnerExploitsAFixedBiasedOpponent) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    json j = {{"env_id", "RockPaperScissors-v0"},
              {"num_envs", 8},
              {"num_steps", 50},
              {"learning_rate", 0.003},
              {"ent_coef", 0.01},
              {"total_timesteps", 40000},
              {"seed", seed},
              {"policies", {{"learner", json::object()}, {"opponent", {{"trained", false}}}}},
              {"policy_mapping", {{"player_0", "learner"}, {"player_1", "opponent"}}}};
    MultiAgentPPO algo(MultiAgentPPOConfig::from_json(j));
    make_biased_opponent(algo.named_policy("opponent"));
    const std::vector<float> opponent_before = flat_weights(algo.named_policy("opponent"));
    while (algo.timesteps() < 40000) algo.train();
    // Not trained: the opponent is the same bits; the learner plays paper against its rock.
    EXPECT_TRUE(same_floats(flat_weights(algo.named_policy("opponent")), opponent_before));
    const MultiAgentEvaluation eval = algo.evaluate_policies(200, /*deterministic=*/false);
    // Best response (always paper): 10 rounds x (0.60 - 0.15) = 4.5 per episode; uniform play 0.
    EXPECT_GE(eval.policies[0].second.mean_return, 3.0) << "seed " << seed;
    EXPECT_EQ(eval.policies[0].first, "learner");
    EXPECT_LE(eval.policies[1].second.mean_return, -3.0) << "seed " << seed;
  }
}

TEST(MultiAgentPPOLearning, SplitAxisNavigationIsSolvedJointlyAndNotByEitherAlone) {
  auto config = [](uint64_t seed, bool y_trained) {
    json j = {{"env_id", "SplitAxisNavigation-v0"},
              {"num_envs", 8},
              {"num_steps", 64},
              {"learning_rate", 0.003},
              {"ent_coef", 0.01},
              {"total_timesteps", 60000},
              {"seed", seed},
              {"policies", {{"x", json::object()}, {"y", {{"trained", y_trained}}}}},
              {"policy_mapping", {{"x", "x"}, {"y", "y"}}}};
    return MultiAgentPPOConfig::from_json(j);
  };
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    MultiAgentPPO joint(config(seed, true));
    while (joint.timesteps() < 60000) joint.train();
    const double joint_return = joint.evaluate_policies(200).policies[0].second.mean_return;
    // The registry's threshold: 0.9 per agent.
    EXPECT_GE(joint_return, 0.9) << "seed " << seed;

    MultiAgentPPO alone(config(seed, false));
    while (alone.timesteps() < 60000) alone.train();
    const double alone_return = alone.evaluate_policies(200).policies[0].second.mean_return;
    EXPECT_LT(alone_return, 0.6) << "seed " << seed;
  }
}

// --- Checkpoints of several policies ---------------------------------------------------

// Three CartPoles, three policies: two trained with their own settings, one fixed.
MultiAgentPPOConfig three_policy_config() {
  MultiAgentPPOConfig c =
      cartpole_config(3,
                      {{"fast", {{"config", {{"learning_rate", 0.01}, {"hidden_sizes", {16}}}}}},
                       {"slow", {{"config", {{"learning_rate", 0.001}, {"activation", "relu"}}}}},
                       {"fixed", {{"trained", false}}}},
                      {{"agent_0", "fast"}, {"agent_1", "slow"}, {"agent_2", "fixed"}}, 7);
  c.ppo.num_envs = 4;
  c.ppo.num_steps = 64;
  return c;
}

TEST(MultiAgentPPOCheckpoint, EachOfThreePoliciesRestoresAloneAndReproducesItsExample) {
  ScratchDir dir;
  MultiAgentPPO algo(three_policy_config());
  for (int i = 0; i < 3; ++i) algo.train();
  algo.save_checkpoint(dir / "ckpt");
  EXPECT_EQ(algo.policy_ids(), (std::vector<std::string>{"fast", "fixed", "slow"}));
  for (const std::string& id : algo.policy_ids()) {
    EXPECT_TRUE(fs::exists(dir / "ckpt" / "policies" / id / "cairn_policy.json")) << id;
    // The policy folder alone and the checkpoint with the id: no algorithm, no environment.
    for (const fs::path& path : {dir / "ckpt" / "policies" / id, dir / "ckpt"}) {
      PolicyRestoreOptions options;
      options.policy_id = id;
      PolicyRestoreReport report;
      const std::unique_ptr<Policy> restored = load_policy(path, options, &report);
      EXPECT_TRUE(report.example_checked) << id;
      EXPECT_TRUE(report.bit_identical) << id;
      EXPECT_GT(report.example_rows, 0u) << id;
      EXPECT_TRUE(same_floats(flat_weights(*restored), flat_weights(algo.named_policy(id)))) << id;
    }
  }
  // The per-policy networks are their own (overrides): "fast" has one hidden layer of 16.
  EXPECT_NE(algo.named_policy("fast").model().num_parameters(),
            algo.named_policy("slow").model().num_parameters());
  // A wrong id names the ones that exist.
  PolicyRestoreOptions wrong;
  wrong.policy_id = "nobody";
  EXPECT_ERROR_CONTAINS(load_policy(dir / "ckpt", wrong), "fast");
}

// Trains 2 iterations, checkpoints, trains 3 more; the run restored from the checkpoint must
// give the same 3 iterations (every metric) and weights, bit for bit. Returns the checkpoint.
fs::path expect_resume_bit_for_bit(const MultiAgentPPOConfig& config, const ScratchDir& dir) {
  MultiAgentPPO whole(config);
  for (int i = 0; i < 2; ++i) whole.train();
  whole.save_checkpoint(dir / "ckpt");
  std::vector<TrainResult> expected;
  for (int i = 0; i < 3; ++i) expected.push_back(whole.train());

  std::unique_ptr<Algorithm> resumed = restore_algorithm(dir / "ckpt");
  EXPECT_EQ(resumed->name(), "multi_agent_ppo");
  for (int i = 0; i < 3; ++i) {
    const TrainResult r = resumed->train();
    EXPECT_EQ(r.iteration, expected[i].iteration);
    EXPECT_EQ(r.timesteps, expected[i].timesteps);
    EXPECT_EQ(r.episodes, expected[i].episodes);
    EXPECT_EQ(std::memcmp(&r.episode_return_mean, &expected[i].episode_return_mean, sizeof(double)),
              0);
    EXPECT_EQ(r.metrics.items().size(), expected[i].metrics.items().size());
    for (size_t k = 0; k < std::min(r.metrics.items().size(), expected[i].metrics.items().size());
         ++k) {
      const auto& [name, value] = r.metrics.items()[k];
      EXPECT_EQ(name, expected[i].metrics.items()[k].first);
      const double want = expected[i].metrics.items()[k].second;
      EXPECT_TRUE(std::memcmp(&value, &want, sizeof(double)) == 0 ||
                  (std::isnan(value) && std::isnan(want)))
          << name << " at iteration " << r.iteration;
    }
  }
  for (const std::string& id : whole.policy_ids()) {
    EXPECT_TRUE(
        same_floats(flat_weights(resumed->named_policy(id)), flat_weights(whole.named_policy(id))))
        << id;
  }
  return dir / "ckpt";
}

TEST(MultiAgentPPOCheckpoint, AResumedRunEqualsAnUninterruptedOneBitForBit) {
  ScratchDir dir;
  expect_resume_bit_for_bit(three_policy_config(), dir);
}

// --- Reward normalisation ----------------------------------------------------------------

// "slow" normalises its rewards (its own setting); the others do not.
MultiAgentPPOConfig reward_normalising_config() {
  json j = three_policy_config().to_json();
  j["policies"]["slow"]["config"]["normalize_rewards"] = true;
  j["policies"]["slow"]["config"]["reward_clip"] = 5.0;
  return MultiAgentPPOConfig::from_json(j);
}

TEST(MultiAgentPPORewardNormalisation, OnlyThePolicyThatAsksTrainsOnScaledRewards) {
  MultiAgentPPO plain(three_policy_config());
  MultiAgentPPO scaled(reward_normalising_config());
  // One iteration: the rollouts are the same (scaling draws nothing from the generators), and
  // only "slow"'s update sees other rewards. (Later rollouts differ for everyone: the agents
  // share their copies' episodes and the action generator.)
  plain.train();
  scaled.train();
  EXPECT_TRUE(same_floats(flat_weights(plain.named_policy("fast")),
                          flat_weights(scaled.named_policy("fast"))));
  EXPECT_TRUE(same_floats(flat_weights(plain.named_policy("fixed")),
                          flat_weights(scaled.named_policy("fixed"))));
  EXPECT_FALSE(same_floats(flat_weights(plain.named_policy("slow")),
                           flat_weights(scaled.named_policy("slow"))));
}

TEST(MultiAgentPPORewardNormalisation, ItsStatisticsAreInTheCheckpointAndResumeBitForBit) {
  ScratchDir dir;
  const fs::path ckpt = expect_resume_bit_for_bit(reward_normalising_config(), dir);
  const TensorDict state = read_safetensors(ckpt / kAlgorithmStateFile);
  // One stream per column of "slow": agent_1 of each of the 4 copies.
  EXPECT_EQ(state.at("reward_normalizer/slow/discounted_returns").shape(),
            std::vector<int64_t>({4}));
  EXPECT_GT(state.at("reward_normalizer/slow/count").to_vector<double>()[0], 1.0);
  EXPECT_FALSE(state.contains("reward_normalizer/fast/count"));
  EXPECT_FALSE(state.contains("reward_normalizer/fixed/count"));
}

TEST(MultiAgentPPORewardNormalisation, ABrokenStateIsRefusedNamingTheTensor) {
  ScratchDir dir;
  MultiAgentPPO algo(reward_normalising_config());
  algo.train();
  algo.save_checkpoint(dir / "ckpt");
  const fs::path state = dir / "ckpt" / kAlgorithmStateFile;
  const TensorDict good = read_safetensors(state);
  const auto refused_with = [&](const std::function<void(TensorDict&)>& edit) {
    TensorDict d = good;
    edit(d);
    write_safetensors(state, d);
    checkpoint_testing::rehash(dir / "ckpt", kCheckpointManifestFile);
    return testing::error_of([&] { restore_algorithm(dir / "ckpt"); });
  };
  std::string error = refused_with([](TensorDict& d) {
    d.insert_or_assign("reward_normalizer/slow/discounted_returns",
                       Tensor::f64(std::vector<double>{0, 0, 0}, {3}));
  });
  EXPECT_NE(error.find("'reward_normalizer/slow/discounted_returns'"), std::string::npos) << error;
  error = refused_with([](TensorDict& d) { d.erase("reward_normalizer/slow/count"); });
  EXPECT_NE(error.find("'reward_normalizer/slow/count'"), std::string::npos) << error;
  error = refused_with([](TensorDict& d) {
    d.insert_or_assign("reward_normalizer/slow/var", Tensor::f64(std::vector<double>{-1.0}, {1}));
  });
  EXPECT_NE(error.find("tensor 'reward_normalizer/slow/var' must be a non-negative variance"),
            std::string::npos)
      << error;
}

TEST(MultiAgentPPOCheckpoint, ExportsOfEachPolicyAreProven) {
  ScratchDir dir;
  MultiAgentPPO algo(three_policy_config());
  algo.train();
  algo.save_checkpoint(dir / "ckpt");
  for (const std::string& id : algo.policy_ids()) {
    const fs::path folder = dir / "ckpt" / "policies" / id;
    const std::unique_ptr<Policy> policy = load_policy(folder);
    OnnxExportOptions onnx;
    onnx.verification.example_observations = read_example_observations(folder);
    onnx.verification.num_random_observations = 16;
    onnx.require_verification = true;
    fs::create_directories(dir / id);
    const ExportVerification o = export_onnx(*policy, dir / id / "policy.onnx", onnx);
    EXPECT_TRUE(o.verified()) << id << ": " << o.summary();
    EXPECT_GT(o.num_example_observations, 0u) << id;
    CExportOptions c;
    c.verification = onnx.verification;
    c.require_verification = true;
    const ExportVerification cv = export_c(*policy, dir / id, c);
    EXPECT_TRUE(cv.verified()) << id << ": " << cv.summary();
  }
}

TEST(MultiAgentPPOCheckpoint, MappingTrainedSetAndOverridesAreDataInTheCheckpoint) {
  ScratchDir dir;
  const MultiAgentPPOConfig config = three_policy_config();
  {
    MultiAgentPPO algo(config);
    algo.train();
    algo.save_checkpoint(dir / "ckpt");
  }
  // The manifest says it all, as JSON.
  std::ifstream in(dir / "ckpt" / "cairn_checkpoint.json");
  const json manifest = json::parse(in);
  EXPECT_EQ(manifest["policy_ids"], json({"fast", "fixed", "slow"}));
  EXPECT_EQ(manifest["config"]["policy_mapping"]["agent_2"], "fixed");
  EXPECT_EQ(manifest["config"]["policies"]["fixed"]["trained"], false);
  EXPECT_EQ(manifest["config"]["policies"]["fast"]["config"]["learning_rate"], 0.01);
  // Restored with no user code: the same mapping, fixed set and settings.
  std::unique_ptr<Algorithm> restored = restore_algorithm(dir / "ckpt");
  auto& ma = dynamic_cast<MultiAgentPPO&>(*restored);
  EXPECT_EQ(ma.config(), config);
  EXPECT_EQ(ma.policy_of("agent_0"), "fast");
  EXPECT_EQ(ma.policy_of("agent_2"), "fixed");
  EXPECT_DOUBLE_EQ(ma.config().policy_config("slow").learning_rate, 0.001);
  // The fixed policy stays fixed after the restore, the trained ones learn.
  const std::vector<float> fixed = flat_weights(ma.named_policy("fixed"));
  const std::vector<float> fast = flat_weights(ma.named_policy("fast"));
  ma.train();
  EXPECT_TRUE(same_floats(flat_weights(ma.named_policy("fixed")), fixed));
  EXPECT_FALSE(same_floats(flat_weights(ma.named_policy("fast")), fast));
  EXPECT_NO_THROW(verify_algorithm_checkpoint(dir / "ckpt"));
}

// --- Self-play ------------------------------------------------------------------------

MultiAgentPPOConfig self_play_config() {
  json j = {{"env_id", "RockPaperScissors-v0"},
            {"num_envs", 4},
            {"num_steps", 20},
            {"learning_rate", 0.003},
            {"seed", 3},
            {"policies", {{"main", json::object()}}},
            {"policy_mapping", {{"player_0", "main"}, {"player_1", "league"}}},
            {"league", {{"learner", "main"}, {"snapshot_every", 2}, {"size", 3}}}};
  return MultiAgentPPOConfig::from_json(j);
}

TEST(MultiAgentPPOSelfPlay, FrozenCopiesOfTheLearnerJoinTheLeagueEverySnapshot) {
  MultiAgentPPO algo(self_play_config());
  EXPECT_EQ(algo.policy_ids(), (std::vector<std::string>{"main", "main_v1", "main_v2", "main_v3"}));
  // v1 is the learner as it started.
  EXPECT_TRUE(same_floats(flat_weights(algo.named_policy("main_v1")),
                          flat_weights(algo.named_policy("main"))));
  std::vector<std::vector<float>> learner_after;  // after iterations 1, 2, ...
  for (int i = 1; i <= 8; ++i) {
    const TrainResult r = algo.train();
    learner_after.push_back(flat_weights(algo.named_policy("main")));
    // One copy at the start, one more every 2 iterations.
    EXPECT_EQ(r.metrics.at("league/snapshots_taken"), 1 + i / 2) << "iteration " << i;
    // The copies never train: the copy playing an episode is frozen.
    EXPECT_FALSE(r.metrics.contains("main_v1/policy_loss"));
  }
  // Copies 1..5 were taken; with 3 slots, v1 holds the 4th (after iteration 6), v2 the 5th
  // (after iteration 8), v3 the 3rd (after iteration 4).
  EXPECT_TRUE(same_floats(flat_weights(algo.named_policy("main_v1")), learner_after[5]));
  EXPECT_TRUE(same_floats(flat_weights(algo.named_policy("main_v2")), learner_after[7]));
  EXPECT_TRUE(same_floats(flat_weights(algo.named_policy("main_v3")), learner_after[3]));
  // The copies played: each has episodes of its own.
  const TrainResult last = algo.last_result();
  int played = 0;
  for (const char* id : {"main_v1", "main_v2", "main_v3"}) {
    played += std::isnan(last.metrics.at(std::string(id) + "/episode_return_mean")) ? 0 : 1;
  }
  EXPECT_GE(played, 2);
  // Evaluation plays the league's agents with the newest copy.
  const MultiAgentEvaluation eval = algo.evaluate_policies(5);
  EXPECT_EQ(eval.policies.back().first, "league");
  EXPECT_DOUBLE_EQ(eval.policies.back().second.mean_return, -eval.policies[0].second.mean_return);
}

TEST(MultiAgentPPOSelfPlay, TheLeagueIsInTheCheckpointAndResumesBitForBit) {
  ScratchDir dir;
  MultiAgentPPO whole(self_play_config());
  for (int i = 0; i < 3; ++i) whole.train();
  whole.save_checkpoint(dir / "ckpt");
  for (int i = 0; i < 4; ++i) whole.train();  // across two more copies

  // Every copy is an ordinary policy folder that restores alone.
  for (const char* id : {"main_v1", "main_v2", "main_v3"}) {
    PolicyRestoreOptions options;
    options.policy_id = id;
    PolicyRestoreReport report;
    load_policy(dir / "ckpt", options, &report);
    EXPECT_TRUE(report.bit_identical) << id;
  }
  std::unique_ptr<Algorithm> resumed = restore_algorithm(dir / "ckpt");
  TrainResult r;
  for (int i = 0; i < 4; ++i) r = resumed->train();
  EXPECT_EQ(r.metrics.items().size(), whole.last_result().metrics.items().size());
  EXPECT_EQ(r.metrics.at("league/snapshots_taken"),
            whole.last_result().metrics.at("league/snapshots_taken"));
  EXPECT_EQ(r.episode_return_mean, whole.last_result().episode_return_mean);
  for (const std::string& id : whole.policy_ids()) {
    EXPECT_TRUE(
        same_floats(flat_weights(resumed->named_policy(id)), flat_weights(whole.named_policy(id))))
        << id;
  }
}

TEST(MultiAgentPPOSelfPlay, BadLeaguesAreRefused) {
  MultiAgentPPOConfig c = self_play_config();
  c.league->learner = "nobody";
  EXPECT_ERROR_CONTAINS(c.validate(), "'learner' must be a trained policy");
  c = self_play_config();
  c.policies["main_v2"] = MultiAgentPolicyConfig();
  EXPECT_ERROR_CONTAINS(c.validate(), "main_v2");
  c = self_play_config();
  c.league.reset();  // "league" in the mapping is then an unknown policy
  EXPECT_ERROR_CONTAINS(c.validate(), "'league'");
  EXPECT_ERROR_CONTAINS(
      MultiAgentPPOConfig::from_json({{"league", {{"learner", "x"}, {"size", 0}}}}), "'size'");
}

// --- Bad input ----------------------------------------------------------------------

TEST(MultiAgentPPOConfigErrors, NamesTheProblem) {
  // An agent without a policy.
  EXPECT_ERROR_CONTAINS(
      MultiAgentPPO algo(cartpole_config(2, {{"a", json::object()}}, {{"agent_0", "a"}}, 1)),
      "agent_1");
  // An unknown policy id in the mapping.
  EXPECT_ERROR_CONTAINS(cartpole_config(2, {{"a", json::object()}}, {{"*", "b"}}, 1).validate(),
                        "'b'");
  // A key a policy cannot set for itself.
  EXPECT_ERROR_CONTAINS(
      cartpole_config(2, {{"a", {{"config", {{"num_envs", 2}}}}}}, {{"*", "a"}}, 1), "num_envs");
  // A bad value in a policy's settings names the policy.
  EXPECT_ERROR_CONTAINS(
      cartpole_config(2, {{"a", {{"config", {{"learning_rate", -1}}}}}}, {{"*", "a"}}, 1)
          .validate(),
      "policies.a.config");
  // An unsupported option.
  MultiAgentPPOConfig recurrent = cartpole_config(2, {{"a", json::object()}}, {{"*", "a"}}, 1);
  recurrent.ppo.memory = {{"cell", "lstm"}};
  EXPECT_ERROR_CONTAINS(recurrent.validate(), "memory");
  // A policy id that cannot be a folder name.
  EXPECT_ERROR_CONTAINS(cartpole_config(2, {{"../x", json::object()}}, {{"*", "../x"}}, 1),
                        "policies.../x");
  // Registry: the config is checked before anything is built.
  EXPECT_ERROR_CONTAINS(make_algorithm("multi_agent_ppo", {{"env_id", "CartPole-v1"}}),
                        "CartPole-v1");
}

TEST(MultiAgentPPOConfigErrors, ConfigRoundTripsThroughJson) {
  const MultiAgentPPOConfig c = three_policy_config();
  EXPECT_EQ(MultiAgentPPOConfig::from_json(c.to_json()), c);
  MultiAgentPPOConfig d;
  d.set("policy_mapping={\"*\": \"default_policy\"}");
  d.set("learning_rate=0.01");
  EXPECT_DOUBLE_EQ(d.ppo.learning_rate, 0.01);
  EXPECT_ERROR_CONTAINS(d.set("policies=not json"), "policies");
}

}  // namespace
}  // namespace cairn
