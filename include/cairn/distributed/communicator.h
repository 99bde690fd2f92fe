// Communicator: the processes of one training run and the few collective operations a
// distributed run needs (docs/distributed.md).
//
// A distributed run is one training run over N processes ("ranks") started by mpirun
// (or Slurm's srun): every rank builds the same algorithm from the same config, steps
// its own contiguous share of the environments, and receives every other rank's
// results with all_gather, so that every rank holds the same data and computes the same
// weights. Every collective call below must be made by every rank, in the same order,
// with the same sizes; a rank that breaks this (or dies) ends the whole job (see
// abort()).
//
// world() is the process's communicator, decided once, at its first call:
//   * started by mpirun/srun with cairn built with MPI (CMake found OpenMPI; Debian
//     libopenmpi-dev): MPI_COMM_WORLD, initialised then and finalised at exit;
//   * started by an MPI launcher with more than one process but cairn built without MPI:
//     world() throws cairn::Error saying so (every rank would otherwise train alone);
//   * otherwise: a single process (rank 0 of 1), whose collectives copy.
// The launcher is recognised by its environment variables (OMPI_COMM_WORLD_SIZE,
// PMI_SIZE, PMIX_RANK).
//
// Errors: an MPI failure throws cairn::Error naming the operation and MPI's message.
// Thread safety: call collectives from one thread (the one that first called world()).
// Allocation: all_gather and broadcast do not allocate; world() allocates once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cairn::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;

  // This process's rank in [0, size()), and the number of processes.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "single process" or "MPI (<library version>)", for messages and reports.
  virtual std::string description() const = 0;

  // Every rank's `mine` concatenated in rank order into `all`: counts[r] is the number of
  // bytes rank r contributes (the same `counts` on every rank), `all` holds their sum and
  // `mine` holds counts[rank()] bytes. Throws cairn::Error on a size mismatch.
  virtual void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                          std::span<const size_t> counts) = 0;
  // Personalised exchange: this rank sends send_counts[r] bytes of `send` (consecutive,
  // in rank order) to rank r, and receives recv_counts[r] bytes from rank r into `recv`
  // (consecutive, in rank order). Every rank's send_counts[r] must equal rank r's
  // recv_counts[this rank]. Throws cairn::Error when the buffers do not hold the counts.
  virtual void all_to_all(std::span<const std::byte> send, std::span<const size_t> send_counts,
                          std::span<std::byte> recv, std::span<const size_t> recv_counts) = 0;
  // Root's `data` copied into every rank's `data` (the same size everywhere).
  virtual void broadcast(std::span<std::byte> data, int root) = 0;
  // Returns when every rank has called it.
  virtual void barrier() = 0;
  // Ends the whole job at once: prints "cairn: rank R of N: <message>" to stderr and, in
  // an MPI run, aborts every rank (MPI_Abort), so that no rank waits forever for a dead
  // peer. Files already written stay; checkpoints are written atomically, so none is
  // left half-written.
  [[noreturn]] virtual void abort(const std::string& message, int exit_code) = 0;
};

// The process's communicator (see the file comment). Throws cairn::Error when started
// by an MPI launcher with several processes and cairn was built without MPI, or when MPI
// fails to initialise.
Communicator& world();

// True if this build of cairn can run distributed (it was built with MPI).
bool built_with_mpi();

// Conveniences over the collectives.
// all_gather of one fixed-size record per rank: `all` = size() * mine.size() bytes.
void all_gather_equal(Communicator& comm, std::span<const std::byte> mine,
                      std::span<std::byte> all);
// Rank 0's value of `flag` on every rank (decisions only rank 0 can make, such as a
// stop after a number of seconds, taken by every rank at the same iteration).
bool broadcast_flag(Communicator& comm, bool flag);
// Refuses to start a distributed run whose ranks differ: every rank's `what` (a config,
// serialised) and cairn's build fingerprint are compared with rank 0's. Throws
// cairn::Error naming `label`, the first rank that differs and what differs. Does
// nothing in a single process.
void check_same_on_every_rank(Communicator& comm, const std::string& label,
                              const std::string& what);
// This build's fingerprint: cairn's version, the compiler, the matrix kernel and the
// floating-point flags that decide the bits of a result.
std::string build_fingerprint();

// The contiguous share of `n` items (environments) that rank `rank` of `size` owns:
// [n * rank / size, n * (rank + 1) / size).
struct Share {
  size_t begin = 0, end = 0;
};
Share share_of(size_t n, int rank, int size);

}  // namespace cairn::distributed
