// RowGather: a table of rows (one per environment) that the ranks fill in shares and every
// rank then holds whole. PPO's rollout uses it so that each rank runs the policy forward for
// its own environments only and every rank receives every environment's action-distribution
// inputs and value (the same bits: a row of the forward pass depends on that row alone).
//
// gather() is collective: every rank calls it in the same order. Not thread-safe. Allocates
// only in the constructor.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "cairn/distributed/communicator.h"

namespace cairn::distributed {

class RowGather {
 public:
  // A table of `rows` x `width` floats shared out by share_of(rows, rank, size). `comm`
  // must outlive this object.
  RowGather(Communicator& comm, size_t rows, size_t width);

  // This rank's rows, and where it writes them (their width() floats each, in order).
  Share own() const { return own_; }
  std::span<float> own_rows() { return mine_; }
  // Every rank's rows in row order: rows x width floats, valid until the next gather().
  std::span<const float> gather();

  size_t width() const { return width_; }

 private:
  Communicator& comm_;
  size_t width_;
  Share own_;
  std::vector<float> mine_, all_;
  std::vector<size_t> counts_;
};

}  // namespace cairn::distributed
