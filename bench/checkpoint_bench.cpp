// Checkpoint save and restore: the CartPole policy (64x64 tanh actor-critic) and a model
// of about 50M parameters. Restore includes every check (checksums, file list, shapes,
// and the recorded example run through the restored policy).
#include <unistd.h>
#include <cstdio>
#include <filesystem>

#include "bench_report.h"
#include "cairn/checkpoint/policy_checkpoint.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"

namespace {

namespace fs = std::filesystem;

size_t folder_bytes(const fs::path& p) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(p)) {
    if (e.is_regular_file()) n += static_cast<size_t>(e.file_size());
  }
  return n;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void measure(const std::string& name, cairn::Policy& policy, const fs::path& dir, int repeats,
             cairn::bench::Table& table) {
  const fs::path folder = dir / name;
  const double save_ns =
      cairn::bench::median_ns([&] { policy.save(folder, true); }, repeats, 1, 0.0);
  const size_t bytes = folder_bytes(folder);
  const double restore_ns = cairn::bench::median_ns(
      [&] { cairn::bench::do_not_optimize(cairn::load_policy(folder)); }, repeats, 1, 0.0);
  const double params = static_cast<double>(policy.model().num_parameters());
  table.add_row({name, fmt("%.0f", params), fmt("%.2f MB", static_cast<double>(bytes) / 1e6),
                 cairn::bench::format_duration(save_ns), cairn::bench::format_duration(restore_ns),
                 fmt("%.2f GB/s", static_cast<double>(bytes) / restore_ns)});
}

}  // namespace

int main() {
  cairn::bench::print_machine(
      "cairn checkpoint_bench: policy folder save and restore (restore verifies everything)");
  const fs::path dir =
      fs::temp_directory_path() / ("cairn_checkpoint_bench_" + std::to_string(getpid()));
  fs::create_directories(dir);
  cairn::bench::Table table(
      {"policy", "parameters", "size", "save", "restore", "restore throughput"});

  cairn::Policy cartpole(cairn::Space::box(-5.0f, 5.0f, {4}), cairn::Space::discrete(2),
                         cairn::nn::ppo_actor_critic(4, 2));
  measure("CartPole 64x64 tanh", cartpole, dir, 51, table);

  // ~50M parameters: two networks of 3 x 3540-unit layers.
  using namespace cairn::nn;
  const Index h = 3540;
  const ModelSpec big = ModelBuilder(64)
                            .add(Block("pi")
                                     .dense(h, Activation::tanh())
                                     .dense(h, Activation::tanh())
                                     .dense(h, Activation::tanh())
                                     .dense(8))
                            .add(Block("vf")
                                     .dense(h, Activation::tanh())
                                     .dense(h, Activation::tanh())
                                     .dense(h, Activation::tanh())
                                     .dense(1))
                            .output("pi")
                            .output("vf")
                            .build();
  cairn::Policy large(cairn::Space::box(-1.0f, 1.0f, {64}), cairn::Space::discrete(8), big);
  measure("~50M-parameter MLP", large, dir, 5, table);
  table.print();
  std::printf("\nreference: Stable-Baselines3 PPO.load of a CartPole policy takes ~9 ms here.\n");
  fs::remove_all(dir);
  return 0;
}
