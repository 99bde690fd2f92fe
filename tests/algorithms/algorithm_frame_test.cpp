// The algorithm frame: registry, presets, metrics, config tables, and checkpoints written
// and restored by the frame for any algorithm.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>

#include "cairn/algorithms/algorithm_registry.h"
#include "cairn/algorithms/config_fields.h"
#include "cairn/algorithms/ppo.h"
#include "cairn/algorithms/presets.h"
#include "cairn/checkpoint/checkpoint_format.h"
#include "error_matchers.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("cairn_frame_test_" + name);
  fs::remove_all(dir);
  return dir;
}

json small_ppo_config(uint64_t seed = 3) {
  json c = preset_config("ppo", "CartPole-v1");
  c["num_envs"] = 2;
  c["num_steps"] = 32;
  c["seed"] = seed;
  return c;
}

TEST(AlgorithmRegistry, ListsPpoAndFindsNamesIgnoringCase) {
  const std::vector<std::string> names = algorithm_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "ppo"), names.end());
  EXPECT_TRUE(has_algorithm("PPO"));
  EXPECT_EQ(algorithm_info("PPO").name, "ppo");
  EXPECT_EQ(algorithm_info("ppo").label, "PPO");
}

TEST(AlgorithmRegistry, UnknownAlgorithmListsTheKnownOnes) {
  EXPECT_ERROR_CONTAINS(algorithm_info("ppp"), "unknown algorithm 'ppp' (known: ");
  EXPECT_ERROR_CONTAINS(algorithm_info("ppp"), "ppo");
  EXPECT_ERROR_CONTAINS(make_algorithm("nope", json::object()), "unknown algorithm 'nope'");
}

TEST(AlgorithmRegistry, RefusesBadRegistrations) {
  AlgorithmInfo info = algorithm_info("ppo");
  info.name = "PPO2";
  EXPECT_ERROR_CONTAINS(register_algorithm(info), "lower-case");
  info.name = "ppo2";
  info.create = nullptr;
  EXPECT_ERROR_CONTAINS(register_algorithm(info), "'ppo2' lacks one of its functions");
  EXPECT_FALSE(has_algorithm("ppo2"));
}

TEST(AlgorithmRegistry, MakeAlgorithmValidatesTheConfigNamingTheKey) {
  EXPECT_ERROR_CONTAINS(make_algorithm("ppo", {{"gamma", 2.0}}), "PPO config: 'gamma'");
  EXPECT_ERROR_CONTAINS(make_algorithm("ppo", {{"gama", 0.9}}), "unknown key 'gama'");
}

TEST(AlgorithmFrame, TrainSetsExactlyTheRegisteredMetricsInOrder) {
  std::unique_ptr<Algorithm> a = make_algorithm("ppo", small_ppo_config());
  EXPECT_EQ(a->name(), "ppo");
  const TrainResult r = a->train();
  std::vector<std::string> names;
  for (const auto& item : r.metrics.items()) names.push_back(item.first);
  EXPECT_EQ(names, algorithm_info("ppo").metric_names);
  // Metric names never shadow the frame's own fields in the JSON form.
  const json j = r.to_json();
  EXPECT_EQ(j["iteration"], 1);
  EXPECT_EQ(j["timesteps"], 64);
  EXPECT_TRUE(j.contains("policy_loss"));
}

TEST(Metrics, SetReplacesAtThrowsForMissing) {
  Metrics m;
  m.set("loss", 1.0);
  m.set("alpha", 0.2);
  m.set("loss", 3.0);
  ASSERT_EQ(m.items().size(), 2u);
  EXPECT_EQ(m.items()[0].first, "loss");
  EXPECT_EQ(m.at("loss"), 3.0);
  EXPECT_TRUE(m.contains("alpha"));
  EXPECT_FALSE(m.contains("beta"));
  EXPECT_ERROR_CONTAINS(m.at("beta"), "no metric 'beta'");
}

TEST(Presets, BuiltInPpoPresetsAndFirstRunConfigs) {
  EXPECT_TRUE(has_preset("ppo", "CartPole-v1"));
  EXPECT_TRUE(has_preset("ppo", "Acrobot-v1"));
  EXPECT_TRUE(has_preset("ppo", "Pendulum-v1"));
  EXPECT_FALSE(has_preset("ppo", "MountainCar-v0"));
  EXPECT_EQ(preset_config("ppo", "CartPole-v1"), ppo_preset("CartPole-v1").to_json());
  const json first_run = preset_config("ppo", "MountainCar-v0");
  EXPECT_EQ(first_run["env_id"], "MountainCar-v0");
  EXPECT_EQ(first_run["total_timesteps"], 100000);
}

TEST(Presets, RegisteredPresetsApplyOverTheDefaultsAndAreCheckedAtOnce) {
  register_preset("ppo", "FramePresetTest-v0", {{"num_envs", 3}, {"learning_rate", 0.01}});
  EXPECT_TRUE(has_preset("ppo", "FramePresetTest-v0"));
  const json c = preset_config("ppo", "FramePresetTest-v0");
  EXPECT_EQ(c["env_id"], "FramePresetTest-v0");
  EXPECT_EQ(c["num_envs"], 3);
  EXPECT_EQ(c["num_steps"], PPOConfig().num_steps);  // a default
  const std::vector<std::string> ids = preset_env_ids("ppo");
  EXPECT_NE(std::find(ids.begin(), ids.end(), "FramePresetTest-v0"), ids.end());
  EXPECT_ERROR_CONTAINS(register_preset("ppo", "Bad-v0", {{"gamma", -1}}), "'gamma'");
  EXPECT_FALSE(has_preset("ppo", "Bad-v0"));
  EXPECT_ERROR_CONTAINS(register_preset("ppo", "Bad-v0", json::array()), "must be a JSON object");
  EXPECT_ERROR_CONTAINS(register_preset("nope", "Bad-v0", json::object()), "unknown algorithm");
}

struct ToyConfig : AlgorithmConfig {
  int64_t width = 4;
  double rate = 0.5;
  bool flag = false;
  std::string mode = "fast";
};

const ConfigFields<ToyConfig>& toy_fields() {
  static const ConfigFields<ToyConfig> table = [] {
    ConfigFields<ToyConfig> t("Toy config");
    t.add_shared_fields()
        .integer("width", &ToyConfig::width, 1, 10)
        .number("rate", &ToyConfig::rate, 0.0, 1.0, true)
        .boolean("flag", &ToyConfig::flag)
        .choice("mode", &ToyConfig::mode, {"fast", "slow"});
    return t;
  }();
  return table;
}

TEST(ConfigFields, OneTableReadsWritesAndOverrides) {
  const ConfigFields<ToyConfig>& t = toy_fields();
  ToyConfig c = t.read({{"width", 7}, {"mode", "slow"}, {"env_id", "Pendulum-v1"}}, ToyConfig());
  EXPECT_EQ(c.width, 7);
  EXPECT_EQ(c.mode, "slow");
  EXPECT_EQ(c.env_id, "Pendulum-v1");
  const json j = t.write(c);
  EXPECT_EQ(j["width"], 7);
  EXPECT_EQ(j["non_finite"], "error");
  EXPECT_EQ(j["seed"], 1);
  const ToyConfig back = t.read(j, ToyConfig());
  EXPECT_EQ(t.write(back), j);
  t.set(c, "env_id=Acrobot-v1");  // a bare word is a string
  t.set(c, "rate=0.25");
  EXPECT_EQ(c.env_id, "Acrobot-v1");
  EXPECT_EQ(c.rate, 0.25);
}

TEST(ConfigFields, ErrorsNameTheTableAndKey) {
  const ConfigFields<ToyConfig>& t = toy_fields();
  EXPECT_ERROR_CONTAINS(t.read({{"width", 11}}, ToyConfig()),
                        "Toy config: 'width' must be at most 10");
  EXPECT_ERROR_CONTAINS(t.read({{"rate", 0}}, ToyConfig()), "Toy config: 'rate' must be in (0");
  EXPECT_ERROR_CONTAINS(t.read({{"mode", "medium"}}, ToyConfig()),
                        "'mode' must be one of \"fast\", \"slow\"");
  EXPECT_ERROR_CONTAINS(t.read({{"flag", 1}}, ToyConfig()), "'flag' must be true or false");
  // Unknown keys list the known ones, sorted.
  EXPECT_ERROR_CONTAINS(t.read({{"widht", 1}}, ToyConfig()),
                        "unknown key 'widht' (known keys: activation, env_id, env_options, flag");
  ToyConfig c;
  EXPECT_ERROR_CONTAINS(t.set(c, "width"), "must look like key=value");
  EXPECT_ERROR_CONTAINS(t.set(c, "hidden_sizes=[1,"), "hidden_sizes");
  EXPECT_ERROR_CONTAINS(t.read(json::array(), ToyConfig()), "Toy config: expected a JSON object");
}

TEST(AlgorithmCheckpoint, RestoreAlgorithmContinuesBitIdentically) {
  const fs::path dir = fresh_dir("resume");
  std::unique_ptr<Algorithm> straight = make_algorithm("ppo", small_ppo_config(11));
  std::unique_ptr<Algorithm> first = make_algorithm("ppo", small_ppo_config(11));
  for (int i = 0; i < 2; ++i) {
    straight->train();
    first->train();
  }
  first->save_checkpoint(dir);
  std::unique_ptr<Algorithm> resumed = restore_algorithm(dir);
  EXPECT_EQ(resumed->name(), "ppo");
  EXPECT_EQ(resumed->iteration(), 2);
  EXPECT_EQ(resumed->timesteps(), straight->timesteps());
  const TrainResult a = straight->train(), b = resumed->train();
  EXPECT_EQ(std::bit_cast<uint64_t>(a.metrics.at("policy_loss")),
            std::bit_cast<uint64_t>(b.metrics.at("policy_loss")));
  const std::span<const float> wa = straight->policy().model().flat_parameters();
  const std::span<const float> wb = resumed->policy().model().flat_parameters();
  ASSERT_EQ(wa.size(), wb.size());
  EXPECT_TRUE(std::equal(wa.begin(), wa.end(), wb.begin()));
  const json manifest = verify_algorithm_checkpoint(dir);
  EXPECT_EQ(manifest["algorithm"], "ppo");
  EXPECT_EQ(manifest["complete"], true);
  fs::remove_all(dir);
}

TEST(AlgorithmCheckpoint, AnUnknownAlgorithmIsNamedWithTheKnownOnes) {
  const fs::path dir = fresh_dir("unknown");
  std::unique_ptr<Algorithm> a = make_algorithm("ppo", small_ppo_config());
  a->train();
  a->save_checkpoint(dir);
  // Rewrite the manifest's algorithm (the checksums cover the other files, not the manifest).
  const fs::path manifest_path = dir / kCheckpointManifestFile;
  json m = json::parse(std::ifstream(manifest_path));
  m["algorithm"] = "a2c";
  std::ofstream(manifest_path) << m.dump(2);
  EXPECT_ERROR_CONTAINS(restore_algorithm(dir),
                        "field 'algorithm' is \"a2c\", which this cairn does not know");
  EXPECT_ERROR_CONTAINS(verify_algorithm_checkpoint(dir), "(known: ");
  // The name written by cairn 0.1 ("PPO") still reads.
  m["algorithm"] = "PPO";
  std::ofstream(manifest_path) << m.dump(2);
  EXPECT_EQ(restore_algorithm(dir)->name(), "ppo");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn
