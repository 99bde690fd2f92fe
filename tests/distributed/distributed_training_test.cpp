// Distributed PPO (docs/distributed.md), run as users run it: `mpirun -np N cairn train`.
// The weights after every iteration are the same bits on 1, 2 and 4 ranks; a checkpoint
// written by 2 ranks resumes on 1 and on 4 and continues bit-identically; a rank whose
// environment throws, that crashes or that is killed ends the whole job within seconds,
// naming the rank, and the last checkpoint resumes as if nothing happened; ranks started
// with different configs are refused. OpenMPI is installed by the test command
// (scripts/setup.sh), so a missing mpirun fails these tests.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "cairn/checkpoint/checkpoint_manager.h"
#include "cairn/distributed/communicator.h"
#include "cairn/env/vector_env.h"
#include "cairn/error.h"
#include "cairn/io/safetensors.h"
#include "cli/cli_runner.h"
#include "support/scratch_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing_cli::cairn_binary;
using testing_cli::CliRun;
using testing_cli::run_shell;
using testing_io::ScratchDir;

// `mpirun -np <ranks> cairn <args>`. As root, OpenMPI needs its two permission variables;
// past two ranks on this 2-core machine, --oversubscribe. LeakSanitizer (the sanitizer
// build) is off in these processes: OpenMPI keeps its allocations until exit by design.
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" mpirun --oversubscribe "
         "-np " +
         std::to_string(ranks) + " ";
}

CliRun train(int ranks, const std::string& args) {
  const std::string launcher = ranks == 0 ? "" : mpirun(ranks);
  return run_shell(launcher + cairn_binary() + " train " + args);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file of the checkpoint's policy folder, and every tensor of its algorithm state
// but the training seconds (a clock), equal between two checkpoints.
void expect_same_checkpoint(const fs::path& a, const fs::path& b) {
  SCOPED_TRACE(a.string() + " vs " + b.string());
  ASSERT_TRUE(fs::exists(a / "cairn_checkpoint.json"));
  ASSERT_TRUE(fs::exists(b / "cairn_checkpoint.json"));
  int files = 0;
  for (const fs::directory_entry& e :
       fs::recursive_directory_iterator(a / "policies" / "default_policy")) {
    if (!e.is_regular_file()) continue;
    const fs::path other = b / fs::relative(e.path(), a);
    EXPECT_EQ(read_bytes(e.path()), read_bytes(other)) << e.path();
    ++files;
  }
  EXPECT_GE(files, 3);
  const TensorDict x = read_safetensors(a / "algorithm_state.safetensors");
  const TensorDict y = read_safetensors(b / "algorithm_state.safetensors");
  int tensors = 0;
  for (const auto& [name, t] : x) {
    if (name == "train_seconds") continue;
    ASSERT_TRUE(y.contains(name)) << name;
    const std::span<const std::byte> u = t.bytes(), v = y.at(name).bytes();
    EXPECT_TRUE(std::equal(u.begin(), u.end(), v.begin(), v.end())) << name;
    ++tensors;
  }
  EXPECT_TRUE(x.contains("envs/physical_state"));
  EXPECT_EQ(tensors + 1, static_cast<int>(y.size()));
}

std::string checkpoint_name(int iteration) {
  char name[32];
  std::snprintf(name, sizeof name, "checkpoint_%06d", iteration);
  return name;
}

TEST(DistributedTraining, WeightsAreTheSameBitsOn1And2And4Ranks) {
  const ScratchDir dir;
  // CartPole (discrete actions; minibatches of 256 samples: 4 blocks of 64, one per rank on 4
  // ranks) and Pendulum (Gaussian actions with a learned log-std, reward normalisation,
  // truncated episodes bootstrapped; minibatches of 160 samples: blocks of 64, 64 and 32,
  // shared unevenly), 4 environments, a checkpoint after every iteration. On 2 and 4 ranks
  // each minibatch's gradient is split across the ranks by blocks. StatelessCartPole's preset
  // is recurrent (two LSTMs): its state is carried on every rank and its update is replicated.
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"CartPole-v1", "--set num_steps=64 --set num_minibatches=1"},
      {"Pendulum-v1", "--set num_steps=80 --set num_minibatches=2"},
      {"StatelessCartPole-v1", "--set num_steps=32 --set num_minibatches=2"}};
  for (const auto& [env, sizes] : runs) {
    const std::string common = "--env " + env + " --seed 5 --set num_envs=4 " + sizes +
                               " --stop-iters 3 --checkpoint-every 1 --eval-episodes 0 --quiet ";
    for (const int ranks : {0, 2, 4}) {
      const CliRun r =
          train(ranks, common + "--out " + (dir.path() / (env + std::to_string(ranks))).string());
      ASSERT_EQ(r.exit_code, 0) << r.out;
    }
    for (int it = 1; it <= 3; ++it) {
      for (const int ranks : {2, 4}) {
        expect_same_checkpoint(dir.path() / (env + "0") / checkpoint_name(it),
                               dir.path() / (env + std::to_string(ranks)) / checkpoint_name(it));
      }
    }
  }
}

TEST(DistributedTraining, ACheckpointOf2RanksResumesOn1And4Bitidentically) {
  const ScratchDir dir;
  const std::string common =
      "--env Pendulum-v1 --seed 2 --set num_envs=4 --set num_steps=64 --eval-episodes 0 --quiet ";
  const fs::path whole = dir.path() / "whole", two = dir.path() / "two";
  ASSERT_EQ(
      train(0, common + "--stop-iters 4 --checkpoint-every 4 --out " + whole.string()).exit_code,
      0);
  const CliRun r = train(2, common + "--stop-iters 2 --checkpoint-every 2 --out " + two.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const int ranks : {0, 4}) {
    const fs::path resumed = dir.path() / ("resumed" + std::to_string(ranks));
    const CliRun c =
        train(ranks, "--resume " + (two / checkpoint_name(2)).string() +
                         " --stop-iters 4 --eval-episodes 0 --quiet --out " + resumed.string());
    ASSERT_EQ(c.exit_code, 0) << c.out;
    expect_same_checkpoint(whole / checkpoint_name(4), resumed / checkpoint_name(4));
  }
}

TEST(DistributedTraining, AnEnvironmentErrorOnOneRankEndsTheJobNamingTheRank) {
  const ScratchDir dir;
  // Seed 3: environment i is reset with seed 3 + i, so the copy with seed 6 is environment
  // 3, which rank 1 of 2 steps.
  const std::string plugin = std::string("--plugin ") + CAIRN_FAULTY_ENV_PLUGIN;
  for (const int fault : {0, 1}) {
    SCOPED_TRACE(fault == 0 ? "throws" : "crashes");
    const auto start = std::chrono::steady_clock::now();
    const CliRun r = run_shell(mpirun(2) + cairn_binary() + " " + plugin +
                               " train --env FaultyEnv-v0 --seed 3 --set num_envs=4 "
                               "--set 'env_options={\"fail_seed\": 6, \"fail_at_step\": 40, "
                               "\"fault\": " +
                               std::to_string(fault) + "}' --stop-iters 1000 --quiet --out " +
                               (dir.path() / std::to_string(fault)).string());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_LT(seconds, 10.0) << r.out;
    if (fault == 0) {
      EXPECT_NE(r.out.find("cairn: rank 1 of 2: cairn train: error:"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("the injected failure at step 40"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("rollout step 39"), std::string::npos) << r.out;
    } else {
      EXPECT_NE(r.out.find("rank 1"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("signal 6"), std::string::npos) << r.out;
    }
  }
}

TEST(DistributedTraining, AKilledRankEndsTheJobAndTheLastCheckpointResumesExactly) {
  const ScratchDir dir;
  const fs::path run = dir.path() / "run";
  // The job runs until rank 1 is killed (SIGKILL) after its fifth checkpoint; the script
  // prints the seconds from the kill to the end of mpirun and mpirun's exit code.
  const std::string command =
      mpirun(2) + cairn_binary() +
      " train --env CartPole-v1 --seed 4 --set num_envs=4 --set num_steps=64 "
      "--stop-iters 100000000 --checkpoint-every 1 --keep 3 --eval-episodes 0 --quiet --out " +
      run.string() + " & job=$!\n" +
      // The newest checkpoint's iteration (older ones are removed as new ones arrive).
      "for i in $(seq 600); do\n"
      "  n=$(ls " +
      run.string() +
      " 2>/dev/null | sed -n 's/^checkpoint_0*\\([0-9][0-9]*\\)$/\\1/p' | "
      "sort -n | tail -n 1)\n"
      "  [ \"${n:-0}\" -ge 5 ] && break; sleep 0.05\n"
      "done\n"
      "victim=''\n"
      "for p in $(pgrep -P $job); do\n"
      "  tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && "
      "victim=$p\n"
      "done\n"
      "t0=$(date +%s.%N); kill -9 $victim; wait $job; code=$?; t1=$(date +%s.%N)\n"
      "echo \"victim=$victim ended_after=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }') "
      "exit=$code\"\n";
  const CliRun r = run_shell("bash -c '" + [&] {
    std::string quoted;
    for (const char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted;
  }() + "'");
  ASSERT_NE(r.out.find("victim="), std::string::npos) << r.out;
  ASSERT_EQ(r.out.find("victim= "), std::string::npos) << "no rank 1 found: " << r.out;
  const size_t at = r.out.find("ended_after=");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_LT(std::stod(r.out.substr(at + 12)), 10.0) << r.out;
  EXPECT_EQ(r.out.find("exit=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank 1"), std::string::npos) << r.out;

  // The run folder's latest checkpoint is whole (verified when resumed) and continues, on
  // one rank, exactly as an uninterrupted run.
  const fs::path latest = resolve_checkpoint(run);
  const int k = std::stoi(latest.filename().string().substr(11));
  ASSERT_GE(k, 5);
  const std::string common = "--eval-episodes 0 --quiet --stop-iters " + std::to_string(k + 2);
  const CliRun resumed = train(0, "--resume " + latest.string() + " --out " +
                                      (dir.path() / "resumed").string() + " " + common);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  const CliRun whole = train(0,
                             "--env CartPole-v1 --seed 4 --set num_envs=4 --set num_steps=64 "
                             "--out " +
                                 (dir.path() / "whole").string() + " " + common);
  ASSERT_EQ(whole.exit_code, 0) << whole.out;
  expect_same_checkpoint(dir.path() / "whole" / checkpoint_name(k + 2),
                         dir.path() / "resumed" / checkpoint_name(k + 2));
}

TEST(DistributedTraining, RanksWithDifferentConfigsAreRefusedAtStart) {
  const std::string one = cairn_binary() + " train --env CartPole-v1 --stop-iters 2 --quiet ";
  const CliRun r = run_shell(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
      "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
      "mpirun --oversubscribe -np 1 " +
      one + "--seed 1 : -np 1 " + one + "--seed 2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("rank 1 has a different config from rank 0"), std::string::npos) << r.out;
}

TEST(DistributedTraining, ShareOfSplitsEnvironmentsContiguously) {
  EXPECT_EQ(distributed::share_of(4, 0, 2).begin, 0u);
  EXPECT_EQ(distributed::share_of(4, 0, 2).end, 2u);
  EXPECT_EQ(distributed::share_of(4, 1, 2).begin, 2u);
  EXPECT_EQ(distributed::share_of(5, 2, 3).begin, 3u);
  EXPECT_EQ(distributed::share_of(5, 2, 3).end, 5u);
  size_t covered = 0;
  for (int r = 0; r < 7; ++r) {
    const distributed::Share s = distributed::share_of(20, r, 7);
    EXPECT_EQ(s.begin, covered);
    EXPECT_GE(s.end - s.begin, 2u);
    covered = s.end;
  }
  EXPECT_EQ(covered, 20u);
}

TEST(DistributedTraining, OneProcessIsRank0Of1) {
  distributed::Communicator& world = distributed::world();
  EXPECT_EQ(world.rank(), 0);
  EXPECT_EQ(world.size(), 1);
  EXPECT_TRUE(distributed::built_with_mpi());
  const std::byte mine[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  std::byte all[3] = {};
  distributed::all_gather_equal(world, mine, all);
  EXPECT_EQ(all[2], std::byte{3});
  EXPECT_TRUE(distributed::broadcast_flag(world, true));
  EXPECT_NO_THROW(distributed::check_same_on_every_rank(world, "test", "anything"));
}

}  // namespace
}  // namespace cairn
