// The pure-Python checkpoint reader (python/cairn/checkpoint_reader.py, NumPy and the standard
// library only) reads what cairn writes: policy folders (Gaussian with observation statistics,
// categorical, recurrent), an algorithm checkpoint and a run folder, with every weight equal
// bit for bit to the C++ policy's, the recorded example recomputed from the weights it read,
// and changed files and newer formats refused (tests/python/checkpoint_reader_check.py, run
// under Debian's /usr/bin/python3).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cairn/algorithms/ppo.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/nn/model_zoo.h"
#include "cairn/policy/policy.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

template <typename T>
std::vector<std::string> reader_hex(std::span<const T> values) {
  std::vector<std::string> out;
  for (T v : values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", static_cast<double>(v));
    out.push_back(buf);
  }
  return out;
}

nlohmann::json reader_case(const Policy& policy, const std::string& path, bool mlp) {
  nlohmann::json c;
  c["path"] = path;
  c["mlp"] = mlp;
  c["recurrent"] = policy.is_recurrent();
  for (const nn::TensorInfo& t : policy.model().parameters()) {
    c["weights"][t.name] = {{"shape", t.shape},
                            {"data", reader_hex(policy.model().parameter(t.name))}};
  }
  if (!policy.log_std().empty()) c["log_std"] = reader_hex(policy.log_std());
  if (const RunningMeanStd* stats = policy.observation_statistics()) {
    const double count = stats->count();
    c["normalizer"] = {{"mean", reader_hex(std::span<const double>(stats->mean()))},
                       {"var", reader_hex(std::span<const double>(stats->var()))},
                       {"count", reader_hex(std::span<const double>(&count, 1))[0]}};
  }
  return c;
}

TEST(PythonCheckpointReader, ReadsWhatCairnWritesBitForBit) {
  testing_io::ScratchDir dir;
  nlohmann::json cases = nlohmann::json::array();

  PolicyOptions normalized;
  normalized.normalize_observations = true;
  normalized.log_std_init = -0.4;
  Policy gaussian(Space::box({-1, -1, -8}, {1, 1, 8}, {3}), Space::box(-2.0f, 2.0f, {1}),
                  nn::ppo_actor_critic(3, 1), normalized, 4);
  gaussian.update_observation_statistics(sample_observations(gaussian.observation_space(), 64, 3));
  gaussian.save(dir / "gaussian");
  cases.push_back(reader_case(gaussian, (dir / "gaussian").string(), true));

  Policy categorical(Space::box(-5.0f, 5.0f, {4}), Space::discrete(3), nn::ppo_actor_critic(4, 3),
                     PolicyOptions(), 5);
  categorical.save(dir / "categorical");
  cases.push_back(reader_case(categorical, (dir / "categorical").string(), true));

  nn::MemoryOptions memory;
  memory.units = 8;
  Policy recurrent(Space::box(-5.0f, 5.0f, {2}), Space::discrete(2),
                   nn::with_memory(nn::ppo_actor_critic(2, 2), memory), PolicyOptions(), 6);
  recurrent.save(dir / "recurrent");
  cases.push_back(reader_case(recurrent, (dir / "recurrent").string(), false));

  // An algorithm checkpoint (its default policy), after training changed the weights.
  PPOConfig config = ppo_preset("Pendulum-v1");
  config.num_steps = 64;
  config.num_minibatches = 2;
  PPO ppo(config);
  ppo.train();
  ppo.save_checkpoint(dir / "checkpoint");
  cases.push_back(reader_case(ppo.policy(), (dir / "checkpoint").string(), true));

  // A run folder (its latest checkpoint), written by the program.
  const std::string run = (dir / "run").string();
  const testing_cli::CliRun r = testing_cli::run_cli(
      "train --env CartPole-v1 --stop-iters 2 --eval-episodes 0 --quiet --out " + run);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::unique_ptr<Policy> from_run = Policy::from_checkpoint(run);
  cases.push_back(reader_case(*from_run, run, true));

  std::ofstream(dir / "expected.json") << cases.dump();
  const testing_cli::CliRun check = testing_cli::run_shell(
      std::string("PYTHONPATH=") + CAIRN_SOURCE_DIR + "/python /usr/bin/python3 " +
      CAIRN_SOURCE_DIR + "/tests/python/checkpoint_reader_check.py " +
      (dir / "expected.json").string());
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("ok"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace cairn
