#include "cairn/distributed/communicator.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "cairn/error.h"
#include "cairn/io/sha256.h"
#include "cairn/nn/gemm.h"
#if CAIRN_HAVE_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace cairn::distributed {
namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string description() const override { return "single process"; }
  void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const size_t> counts) override {
    if (counts.size() != 1 || counts[0] != mine.size() || all.size() != mine.size()) {
      throw Error("all_gather: sizes do not match a single process's contribution");
    }
    if (!mine.empty() && mine.data() != all.data())
      std::memmove(all.data(), mine.data(), mine.size());
  }
  void all_to_all(std::span<const std::byte> send, std::span<const size_t> send_counts,
                  std::span<std::byte> recv, std::span<const size_t> recv_counts) override {
    if (send_counts.size() != 1 || recv_counts.size() != 1 || send_counts[0] != recv_counts[0] ||
        send.size() != send_counts[0] || recv.size() != recv_counts[0]) {
      throw Error("all_to_all: sizes do not match a single process's exchange");
    }
    if (!send.empty() && send.data() != recv.data()) {
      std::memmove(recv.data(), send.data(), send.size());
    }
  }
  void broadcast(std::span<std::byte>, int root) override {
    if (root != 0) throw Error("broadcast: root " + std::to_string(root) + " is not a rank");
  }
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "cairn: rank 0 of 1: %s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(exit_code);
  }
};

// The number of processes an MPI launcher started, from the variables it sets: 0 when
// the process was not started by one.
long launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"}) {
    if (const char* v = std::getenv(name)) {
      // SLURM_NTASKS alone (an sbatch script) does not mean this process was launched
      // by srun's MPI support; only with a PMI rank does it count.
      if (std::strcmp(name, "SLURM_NTASKS") == 0 && !std::getenv("PMI_RANK") &&
          !std::getenv("PMIX_RANK")) {
        continue;
      }
      return std::strtol(v, nullptr, 10);
    }
  }
  return std::getenv("PMIX_RANK") ? 1 : 0;
}

}  // namespace

bool built_with_mpi() {
  return CAIRN_HAVE_MPI != 0;
}

Communicator& world() {
  static std::unique_ptr<Communicator> comm;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    const long launched = launcher_size();
#if CAIRN_HAVE_MPI
    if (launched > 0) {
      try {
        comm = make_mpi_world();
      } catch (const Error& e) {
        failure = e.what();
      }
      return;
    }
#endif
    if (launched > 1) {
      failure = "this process was started by an MPI launcher as one of " +
                std::to_string(launched) +
                " processes, but this cairn was built without MPI, so each would train alone; "
                "install OpenMPI (Debian: libopenmpi-dev openmpi-bin, which scripts/setup.sh "
                "installs) and rebuild cairn";
    } else {
      comm = std::make_unique<SingleProcess>();
    }
  });
  if (!comm) throw Error(failure);
  return *comm;
}

void all_gather_equal(Communicator& comm, std::span<const std::byte> mine,
                      std::span<std::byte> all) {
  const size_t n = static_cast<size_t>(comm.size());
  if (all.size() != n * mine.size()) {
    throw Error("all_gather: " + std::to_string(all.size()) + " bytes for " + std::to_string(n) +
                " ranks of " + std::to_string(mine.size()) + " bytes");
  }
  // One count per rank, on the stack for the usual sizes.
  constexpr size_t kInline = 64;
  size_t inline_counts[kInline];
  std::vector<size_t> heap;
  std::span<size_t> counts;
  if (n <= kInline) {
    counts = std::span<size_t>(inline_counts, n);
  } else {
    heap.resize(n);
    counts = heap;
  }
  for (size_t& c : counts) c = mine.size();
  comm.all_gather(mine, all, counts);
}

bool broadcast_flag(Communicator& comm, bool flag) {
  std::byte b = flag ? std::byte{1} : std::byte{0};
  comm.broadcast(std::span<std::byte>(&b, 1), 0);
  return b != std::byte{0};
}

std::string build_fingerprint() {
  std::string s = std::string("cairn ") + CAIRN_VERSION_STRING + ", compiler " + __VERSION__ +
                  ", kernel " + nn::gemm_kernel_name();
#if defined(__FAST_MATH__)
  s += ", fast-math";
#endif
#if defined(__FP_FAST_FMAF)
  s += ", fma";
#endif
  return s;
}

void check_same_on_every_rank(Communicator& comm, const std::string& label,
                              const std::string& what) {
  if (comm.size() == 1) return;
  // Each rank's digest of the config and of the build, gathered and compared with rank 0's.
  const std::string build = build_fingerprint();
  const std::array<uint8_t, 32> config_digest = sha256(what);
  const std::array<uint8_t, 32> build_digest = sha256(build);
  std::array<std::byte, 64> mine;
  std::memcpy(mine.data(), config_digest.data(), 32);
  std::memcpy(mine.data() + 32, build_digest.data(), 32);
  std::vector<std::byte> all(mine.size() * static_cast<size_t>(comm.size()));
  all_gather_equal(comm, mine, all);
  for (int r = 1; r < comm.size(); ++r) {
    const std::byte* theirs = all.data() + static_cast<size_t>(r) * mine.size();
    if (std::memcmp(theirs + 32, all.data() + 32, 32) != 0) {
      throw Error(label + ": rank " + std::to_string(r) +
                  " runs a different build of cairn from rank 0 (this rank's: " + build +
                  "); every rank must run the same build");
    }
    if (std::memcmp(theirs, all.data(), 32) != 0) {
      throw Error(label + ": rank " + std::to_string(r) +
                  " has a different config from rank 0; every rank of a distributed run must "
                  "be started with the same config, seed and options");
    }
  }
}

Share share_of(size_t n, int rank, int size) {
  const size_t r = static_cast<size_t>(rank), s = static_cast<size_t>(size);
  return {n * r / s, n * (r + 1) / s};
}

}  // namespace cairn::distributed
