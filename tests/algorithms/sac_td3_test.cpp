// SAC and TD3 as algorithms: reproducibility, checkpoints and resume, the policy folder,
// errors, and learning (release builds only).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/presets.h"
#include "cairn/algorithms/sac.h"
#include "cairn/algorithms/td3.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "cairn/io/safetensors.h"
#include "cairn/policy/policy.h"
#include "error_matchers.h"
#include "support/learning_run.h"
#include "support/same_bits.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_io::ScratchDir;

template <typename Config>
Config small(Config c, uint64_t seed) {
  c.env_id = "Pendulum-v1";
  c.hidden_sizes = {32, 32};
  c.batch_size = 32;
  c.steps_per_iteration = 200;
  c.learning_starts = 150;
  c.buffer_size = 5000;
  c.num_envs = 2;
  c.seed = seed;
  return c;
}

using Factory = std::function<std::unique_ptr<OffPolicyActorCritic>(uint64_t seed)>;

struct ActorCriticCase {
  const char* name;
  Factory make;
};

std::vector<ActorCriticCase> actor_critic_cases() {
  return {{"sac", [](uint64_t s) { return std::make_unique<SAC>(small(SACConfig(), s)); }},
          {"td3", [](uint64_t s) { return std::make_unique<TD3>(small(TD3Config(), s)); }}};
}

using testing_support::same_bits;

// Everything that learns, compared bit for bit.
void expect_same_state(OffPolicyActorCritic& a, OffPolicyActorCritic& b, const char* what) {
  EXPECT_TRUE(same_bits(a.policy().model().flat_parameters(), b.policy().model().flat_parameters()))
      << what << ": policy";
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(
        same_bits(a.critics().critic(i).flat_parameters(), b.critics().critic(i).flat_parameters()))
        << what << ": critic " << i;
    EXPECT_TRUE(
        same_bits(a.critics().target(i).flat_parameters(), b.critics().target(i).flat_parameters()))
        << what << ": target " << i;
  }
  EXPECT_EQ(a.replay_buffer().size(), b.replay_buffer().size()) << what;
  EXPECT_EQ(a.gradient_steps_done(), b.gradient_steps_done()) << what;
}

void expect_same_metrics(const TrainResult& a, const TrainResult& b, const char* what) {
  ASSERT_EQ(a.metrics.items().size(), b.metrics.items().size()) << what;
  for (size_t k = 0; k < a.metrics.items().size(); ++k) {
    EXPECT_EQ(a.metrics.items()[k].first, b.metrics.items()[k].first) << what;
    EXPECT_EQ(std::bit_cast<uint64_t>(a.metrics.items()[k].second),
              std::bit_cast<uint64_t>(b.metrics.items()[k].second))
        << what << ": " << a.metrics.items()[k].first;
  }
  EXPECT_EQ(a.episodes, b.episodes) << what;
  EXPECT_EQ(a.timesteps, b.timesteps) << what;
}

TEST(OffPolicy, SameSeedGivesBitIdenticalRuns) {
  for (const ActorCriticCase& c : actor_critic_cases()) {
    auto a = c.make(5), b = c.make(5);
    for (int i = 0; i < 3; ++i) expect_same_metrics(a->train(), b->train(), c.name);
    expect_same_state(*a, *b, c.name);
    auto other = c.make(6);
    for (int i = 0; i < 3; ++i) other->train();
    EXPECT_FALSE(
        same_bits(a->policy().model().flat_parameters(), other->policy().model().flat_parameters()))
        << c.name << ": another seed, other weights";
  }
}

TEST(OffPolicy, IterationsCountStepsLearningStartsAndMetrics) {
  for (const ActorCriticCase& c : actor_critic_cases()) {
    auto algo = c.make(1);
    const TrainResult first = algo->train();
    EXPECT_EQ(first.timesteps, 200) << c.name;
    EXPECT_EQ(first.iteration, 1) << c.name;
    EXPECT_EQ(algo->replay_buffer().size(), 200u) << c.name;
    // learning_starts = 150 with 2 environments: updates from vector step 75 on.
    EXPECT_EQ(algo->gradient_steps_done(), 26) << c.name;
    EXPECT_TRUE(std::isfinite(first.metrics.at("critic_loss"))) << c.name;
    EXPECT_TRUE(std::isfinite(first.metrics.at("q_mean"))) << c.name;
    EXPECT_TRUE(first.metrics.contains("actor_loss")) << c.name;
    EXPECT_GT(first.learning_rate, 0) << c.name;
    const TrainResult second = algo->train();
    EXPECT_EQ(second.timesteps, 400) << c.name;
    EXPECT_EQ(second.episodes, 2) << c.name;  // Pendulum episodes are 200 steps
    EXPECT_TRUE(std::isfinite(second.episode_return_mean)) << c.name;
    EXPECT_NO_THROW(second.to_json()) << c.name;
  }
  SAC sac(small(SACConfig(), 1));
  const TrainResult r = sac.train();
  EXPECT_TRUE(std::isfinite(r.metrics.at("alpha")));
  EXPECT_TRUE(std::isfinite(r.metrics.at("alpha_loss")));
  EXPECT_TRUE(std::isfinite(r.metrics.at("entropy")));
  EXPECT_LT(r.metrics.at("alpha"), 1.0);  // initial_alpha 1, entropy above -action_dim
}

TEST(OffPolicy, PoliciesHaveTheirHeadsAndActWithinTheBounds) {
  SAC sac(small(SACConfig(), 1));
  TD3 td3(small(TD3Config(), 1));
  EXPECT_EQ(sac.policy().options().head, PolicyHead::kSquashedGaussian);
  EXPECT_EQ(td3.policy().options().head, PolicyHead::kDeterministic);
  EXPECT_EQ(sac.policy().model().output_size(0), 2);  // mean and log-std of 1 action
  sac.train();
  td3.train();
  for (Policy* p : {&sac.policy(), &td3.policy()}) {
    Rng rng(3);
    const std::vector<float> obs = {0.5f, -0.8f, 3.0f};
    for (int k = 0; k < 50; ++k) {
      const float a = p->compute_action(obs, true, rng).continuous[0];
      EXPECT_GE(a, -2.0f);
      EXPECT_LE(a, 2.0f);
    }
  }
}

TEST(OffPolicy, ResumeIsBitIdenticalIncludingTheReplayBuffer) {
  for (const ActorCriticCase& c : actor_critic_cases()) {
    ScratchDir dir;
    auto a = c.make(9);
    a->train();
    a->train();
    a->save_checkpoint(dir.path() / "ckpt");
    EXPECT_TRUE(a->checkpoint_is_complete()) << c.name;
    std::unique_ptr<Algorithm> restored = restore_algorithm(dir.path() / "ckpt");
    auto* b = dynamic_cast<OffPolicyActorCritic*>(restored.get());
    ASSERT_NE(b, nullptr) << c.name;
    EXPECT_EQ(b->name(), c.name);
    expect_same_state(*a, *b, c.name);
    for (int i = 0; i < 2; ++i) expect_same_metrics(a->train(), b->train(), c.name);
    expect_same_state(*a, *b, c.name);
  }
}

TEST(OffPolicy, WithoutTheReplayBufferTheCheckpointSaysItIsIncomplete) {
  ScratchDir dir;
  SACConfig config = small(SACConfig(), 3);
  config.checkpoint_replay_buffer = false;
  SAC a(config);
  a.train();
  EXPECT_FALSE(a.checkpoint_is_complete());
  a.save_checkpoint(dir.path() / "ckpt");
  std::unique_ptr<Algorithm> b = restore_algorithm(dir.path() / "ckpt");
  auto& restored = dynamic_cast<OffPolicyActorCritic&>(*b);
  EXPECT_EQ(restored.replay_buffer().size(), 0u);
  EXPECT_FALSE(restored.checkpoint_is_complete());
  EXPECT_NO_THROW(restored.train());  // continues, from an empty buffer
  EXPECT_EQ(restored.replay_buffer().size(), 200u);
}

TEST(OffPolicy, PolicyFolderRestoresAloneBitExactly) {
  for (const ActorCriticCase& c : actor_critic_cases()) {
    ScratchDir dir;
    auto a = c.make(4);
    a->train();
    a->save_checkpoint(dir.path() / "ckpt");
    const std::unique_ptr<Policy> p =
        Policy::from_checkpoint(dir.path() / "ckpt" / kPoliciesFolder / kDefaultPolicyId);
    EXPECT_TRUE(same_bits(p->model().flat_parameters(), a->policy().model().flat_parameters()))
        << c.name;
    EXPECT_EQ(p->options().head, a->policy().options().head) << c.name;
    const std::vector<float> obs = {1.0f, 0.0f, -2.0f};
    EXPECT_EQ(p->compute_action(obs).continuous[0], a->policy().compute_action(obs).continuous[0])
        << c.name;
  }
}

TEST(OffPolicy, RefusesActionSpacesWithoutFiniteBoxBounds) {
  SACConfig c = small(SACConfig(), 1);
  c.env_id = "CartPole-v1";
  EXPECT_ERROR_CONTAINS(SAC{c}, "SAC needs a Box action space with finite bounds (CartPole-v1)");
  TD3Config t = small(TD3Config(), 1);
  t.env_id = "CartPole-v1";
  EXPECT_ERROR_CONTAINS(TD3{t}, "TD3 needs a Box action space");
  c.env_id = "Pendulum-v1";
  c.num_envs = 3;
  EXPECT_ERROR_CONTAINS(SAC{c}, "'steps_per_iteration' (200) must be a multiple of 'num_envs'");
}

TEST(OffPolicy, RegisteredWithPresets) {
  for (const char* name : {"sac", "td3"}) {
    ASSERT_TRUE(has_algorithm(name));
    const nlohmann::json config = preset_config(name, "Pendulum-v1");
    EXPECT_EQ(config["env_id"], "Pendulum-v1");
    EXPECT_TRUE(has_preset(name, "Pendulum-v1"));
    EXPECT_NO_THROW(algorithm_info(name).normalize_config(config));
    EXPECT_ERROR_CONTAINS(algorithm_info(name).normalize_config({{"tau", -1}}), "'tau'");
  }
  const nlohmann::json mcc = preset_config("td3", "MountainCarContinuous-v0");
  EXPECT_EQ(mcc["exploration_noise_type"], "ornstein_uhlenbeck");
  const TD3Config c = TD3Config::from_json(algorithm_info("td3").normalize_config(mcc));
  EXPECT_EQ(c.env_id, "MountainCarContinuous-v0");
  EXPECT_EQ(c.exploration_noise, 1.0);
  EXPECT_EQ(c.total_timesteps, 50000);
}

TD3Config ornstein_uhlenbeck(TD3Config c) {
  c.exploration_noise_type = "ornstein_uhlenbeck";
  c.exploration_noise = 0.5;
  return c;
}

TEST(TD3OrnsteinUhlenbeck, ExploresWithTheProcessAndRestartsItAtEpisodeEnds) {
  TD3Config c = small(TD3Config(), 2);
  c.steps_per_iteration = 100;  // 50 vector steps
  TD3 gaussian(c), ou(ornstein_uhlenbeck(c));
  EXPECT_EQ(gaussian.ornstein_uhlenbeck_noise(), nullptr);
  const OrnsteinUhlenbeckNoise* noise = ou.ornstein_uhlenbeck_noise();
  ASSERT_NE(noise, nullptr);
  EXPECT_EQ(noise->num_envs(), 2u);
  EXPECT_EQ(noise->options().sigma, 0.5);
  EXPECT_EQ(noise->options().theta, 0.15);
  EXPECT_EQ(noise->options().dt, 0.01);
  // 2 environments: learning_starts 150 is vector step 75; episodes end at vector step 200.
  ou.train();  // vector steps 1..50: uniform actions only, the process has not moved
  for (double x : noise->state()) EXPECT_EQ(x, 0.0);
  ou.train();  // 51..100: the process runs from step 76
  for (double x : noise->state()) EXPECT_NE(x, 0.0);
  ou.train();
  ou.train();  // 151..200: both episodes end at 200
  for (double x : noise->state()) EXPECT_EQ(x, 0.0) << "restarted at the episode end";
  ou.train();
  for (double x : noise->state()) EXPECT_NE(x, 0.0);
  for (int i = 0; i < 5; ++i) gaussian.train();
  EXPECT_FALSE(same_bits(gaussian.policy().model().flat_parameters(),
                         ou.policy().model().flat_parameters()));
  c.exploration_noise_type = "brownian";
  EXPECT_ERROR_CONTAINS(TD3{c}, "'exploration_noise_type'");
}

TEST(TD3OrnsteinUhlenbeck, ResumeIsBitIdenticalIncludingTheNoiseState) {
  ScratchDir dir;
  TD3Config c = ornstein_uhlenbeck(small(TD3Config(), 9));
  c.steps_per_iteration = 100;
  TD3 a(c);
  for (int i = 0; i < 3; ++i) a.train();  // mid-episode: the process is not at 0
  a.save_checkpoint(dir.path() / "ckpt");
  std::unique_ptr<Algorithm> restored = restore_algorithm(dir.path() / "ckpt");
  auto& b = dynamic_cast<TD3&>(*restored);
  ASSERT_NE(b.ornstein_uhlenbeck_noise(), nullptr);
  const auto state_of = [](const TD3& t) {
    const std::span<const double> s = t.ornstein_uhlenbeck_noise()->state();
    return std::vector<double>(s.begin(), s.end());
  };
  EXPECT_EQ(state_of(a), state_of(b));
  EXPECT_NE(state_of(a)[0], 0.0);
  expect_same_state(a, b, "td3 ou");
  for (int i = 0; i < 3; ++i) expect_same_metrics(a.train(), b.train(), "td3 ou");
  expect_same_state(a, b, "td3 ou");
  EXPECT_EQ(state_of(a), state_of(b));

  // A state without the process is refused, naming the tensor and the key.
  TD3Config gaussian = c;
  gaussian.exploration_noise_type = "gaussian";
  TD3 g(gaussian);
  g.save_checkpoint(dir.path() / "gaussian");
  EXPECT_ERROR_CONTAINS(
      algorithm_info("td3").check_state(
          read_safetensors(dir.path() / "gaussian" / kAlgorithmStateFile), c.to_json()),
      "missing tensor 'exploration/ornstein_uhlenbeck/state' (the config's "
      "exploration_noise_type is \"ornstein_uhlenbeck\")");
}

// --- Learning (release builds only) -----------------------------------------------------

// Seeds 1..ci_seeds, or 1..$CAIRN_OFF_POLICY_SEEDS (bench/off_policy_learning.sh sets 5).
template <typename Algo, typename Config>
void expect_learns(const std::string& algo, const std::string& env, double threshold,
                   uint64_t ci_seeds = 2) {
  testing_learning::expect_learns<Algo>(
      Config::from_json(preset_config(algo, env)),
      testing_learning::learning_seeds(ci_seeds, "CAIRN_OFF_POLICY_SEEDS"), threshold,
      algo + " on " + env);
}

// Two seeds here keep CI short; bench/off_policy_learning.sh checks all five.
TEST(SACLearning, PendulumWithin20kSteps) {
  expect_learns<SAC, SACConfig>("sac", "Pendulum-v1", -200.0);
}

TEST(TD3Learning, PendulumWithin20kSteps) {
  expect_learns<TD3, TD3Config>("td3", "Pendulum-v1", -200.0);
}

// About 20 s of CPU a seed (50k steps, then 100 evaluation episodes of up to 999 steps):
// one seed in CI, five in bench/off_policy_learning.sh.
TEST(TD3Learning, MountainCarContinuousWithin50kSteps) {
  expect_learns<TD3, TD3Config>("td3", "MountainCarContinuous-v0", 90.0, /*ci_seeds=*/1);
}

}  // namespace
}  // namespace cairn
