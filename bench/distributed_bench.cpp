// The collective a distributed PPO run makes (docs/distributed.md): all_gather of every
// rank's rows after each environment step, timed against the message size and the number
// of ranks. Run it under mpirun (bench/distributed_scaling.sh does, on 1, 2 and 4 ranks);
// on one process it times the copy. Only rank 0 prints.
//
//   mpirun -np 2 build/release/bench/distributed_bench
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench_report.h"
#include "cairn/distributed/communicator.h"

int main() {
  using Clock = std::chrono::steady_clock;
  cairn::distributed::Communicator& world = cairn::distributed::world();
  const bool leader = world.rank() == 0;
  if (leader) {
    cairn::bench::print_machine("all_gather (cairn::distributed::Communicator)");
    std::printf("communicator: %s, %d rank(s)\n\n", world.description().c_str(), world.size());
    std::printf("| bytes per rank | total bytes | all_gather, median | per byte gathered |\n");
    std::printf("|---:|---:|---:|---:|\n");
  }
  const size_t ranks = static_cast<size_t>(world.size());
  for (size_t bytes = 64; bytes <= (size_t{1} << 22); bytes *= 4) {
    std::vector<std::byte> mine(bytes, std::byte{1}), all(bytes * ranks);
    // A fixed number of calls on every rank (collectives must match), about 50 ms each.
    const int calls = bytes <= 4096 ? 2000 : bytes <= 65536 ? 400 : bytes <= (1u << 20) ? 60 : 15;
    for (int i = 0; i < calls / 10 + 1; ++i) cairn::distributed::all_gather_equal(world, mine, all);
    std::vector<double> samples;
    for (int repeat = 0; repeat < 9; ++repeat) {
      world.barrier();
      const auto t0 = Clock::now();
      for (int i = 0; i < calls; ++i) cairn::distributed::all_gather_equal(world, mine, all);
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      // Rank 0's time, which ends only when every rank's contribution has arrived.
      samples.push_back(ns / calls);
    }
    const double ns = cairn::bench::median(samples);
    if (leader) {
      std::printf("| %zu | %zu | %s | %.3f ns |\n", bytes, bytes * ranks,
                  cairn::bench::format_duration(ns).c_str(),
                  ns / static_cast<double>(bytes * ranks));
    }
  }
  return 0;
}
