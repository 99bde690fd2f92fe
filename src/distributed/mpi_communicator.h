// The MPI implementation of Communicator (built only when CMake found MPI).
#pragma once

#include <memory>

#include "cairn/distributed/communicator.h"

namespace cairn::distributed {

// MPI_COMM_WORLD, after MPI_Init_thread (MPI_THREAD_FUNNELED: only the thread that
// calls world() calls MPI). Errors return to cairn (MPI_ERRORS_RETURN) and become
// cairn::Error. MPI_Finalize runs when the returned object is destroyed (at exit).
// Throws cairn::Error if MPI cannot be initialised.
std::unique_ptr<Communicator> make_mpi_world();

}  // namespace cairn::distributed
