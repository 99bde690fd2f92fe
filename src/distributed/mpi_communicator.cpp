#include "distributed/mpi_communicator.h"

// MPI's C interface only: mpi.h would otherwise pull in the deprecated C++ bindings,
// which need a library cairn does not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cairn/error.h"

namespace cairn::distributed {
namespace {

std::string mpi_message(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(length));
}

void check(int code, const char* operation) {
  if (code != MPI_SUCCESS)
    throw Error(std::string("MPI ") + operation + " failed: " + mpi_message(code));
}

int to_int(size_t bytes, const char* operation) {
  if (bytes > static_cast<size_t>(INT_MAX)) {
    throw Error(std::string("MPI ") + operation + ": " + std::to_string(bytes) +
                " bytes from one rank, more than MPI's limit of 2^31 - 1");
  }
  return static_cast<int>(bytes);
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int initialized = 0;
    check(MPI_Initialized(&initialized), "MPI_Initialized");
    if (!initialized) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      owns_mpi_ = true;
    }
    check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    if (MPI_Get_library_version(version, &length) == MPI_SUCCESS) {
      library_.assign(version, static_cast<size_t>(length));
      if (const size_t comma = library_.find(','); comma != std::string::npos)
        library_.resize(comma);
    }
    counts_.resize(static_cast<size_t>(size_));
    displacements_.resize(static_cast<size_t>(size_));
    recv_counts_.resize(static_cast<size_t>(size_));
    recv_displacements_.resize(static_cast<size_t>(size_));
  }
  ~MpiWorld() override {
    if (owns_mpi_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string description() const override { return "MPI (" + library_ + ")"; }

  void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const size_t> counts) override {
    if (counts.size() != static_cast<size_t>(size_) ||
        counts[static_cast<size_t>(rank_)] != mine.size()) {
      throw Error("all_gather: the counts do not match the ranks' contributions");
    }
    size_t total = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      counts_[r] = to_int(counts[r], "all_gather");
      displacements_[r] = to_int(total, "all_gather");
      total += counts[r];
    }
    if (all.size() != total)
      throw Error("all_gather: the destination does not hold every rank's bytes");
    check(MPI_Allgatherv(mine.data(), counts_[static_cast<size_t>(rank_)], MPI_BYTE, all.data(),
                         counts_.data(), displacements_.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  void all_to_all(std::span<const std::byte> send, std::span<const size_t> send_counts,
                  std::span<std::byte> recv, std::span<const size_t> recv_counts) override {
    const size_t n = static_cast<size_t>(size_);
    if (send_counts.size() != n || recv_counts.size() != n) {
      throw Error("all_to_all: one count per rank is needed");
    }
    size_t sent = 0, received = 0;
    for (size_t r = 0; r < n; ++r) {
      counts_[r] = to_int(send_counts[r], "all_to_all");
      displacements_[r] = to_int(sent, "all_to_all");
      recv_counts_[r] = to_int(recv_counts[r], "all_to_all");
      recv_displacements_[r] = to_int(received, "all_to_all");
      sent += send_counts[r];
      received += recv_counts[r];
    }
    if (send.size() != sent || recv.size() != received) {
      throw Error("all_to_all: the buffers do not hold the counts");
    }
    check(MPI_Alltoallv(send.data(), counts_.data(), displacements_.data(), MPI_BYTE, recv.data(),
                        recv_counts_.data(), recv_displacements_.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Alltoallv");
  }

  void broadcast(std::span<std::byte> data, int root) override {
    check(MPI_Bcast(data.data(), to_int(data.size(), "broadcast"), MPI_BYTE, root, MPI_COMM_WORLD),
          "MPI_Bcast");
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "cairn: rank %d of %d: %s\n", rank_, size_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] true
  }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_mpi_ = false;
  std::string library_ = "MPI";
  std::vector<int> counts_, displacements_, recv_counts_, recv_displacements_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world() {
  return std::make_unique<MpiWorld>();
}

}  // namespace cairn::distributed
