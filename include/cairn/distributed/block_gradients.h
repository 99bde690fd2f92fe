// BlockGradients: the gradient of one minibatch computed by several ranks, exactly.
//
// DD-PPO (Wijmans et al. 2020) has every rank compute the gradient of part of the
// minibatch and reduces the parts. An allreduce adds the parts in an order that depends on
// the network, so the bits would depend on the number of ranks. Here the minibatch is cut
// into fixed blocks of nn::kGradientBlock samples, the unit in which cairn's engine sums
// over samples (nn/gemm.h): the ranks share the blocks out contiguously (share_of) and each
// computes its blocks' gradients one block at a time (each a sum from zero). The reduction
// is a reduce-scatter and an all-gather with a fixed order: rank r receives its slice of
// the parameters (share_of(width)) of every block, adds them from zero in block order, and
// the summed slices are gathered by every rank. Each element is then exactly the sum one
// process forms over the whole minibatch, whatever the number of ranks. Per-sample values
// of each rank's rows (PPO's log-probabilities, entropies and values) travel with the
// gathered slices.
//
// reduce() is collective: every rank calls it in the same order with the same sizes. Not
// thread-safe. Allocates only in the constructor.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "cairn/distributed/communicator.h"

namespace cairn::distributed {

class BlockGradients {
 public:
  // `width`: the floats of one block's gradient; `per_row`: the per-sample floats each rank
  // shares; `max_rows`: the most samples a minibatch holds. `comm` must outlive this object.
  // Allocates.
  BlockGradients(Communicator& comm, size_t width, size_t per_row, size_t max_rows);

  // The blocks of a minibatch of `rows` samples (ceil(rows / kGradientBlock)), this rank's
  // share of them, and the rows those cover.
  static size_t blocks_of(size_t rows);
  Share own_blocks(size_t rows) const;
  Share own_rows(size_t rows) const;

  // This rank's blocks' gradients, zeroed: own_blocks(rows) x width() floats, block after
  // block, for the caller to add each block's gradient into (nn::Model::backward_blocks).
  std::span<float> own_block_gradients(size_t rows);
  // Where this rank writes the per-sample values of its own rows (per_row floats each).
  std::span<float> own_row_values(size_t rows);

  // Writes into `sum` (width() floats) the sum of every block's gradient, added from zero in
  // block order, and into `all_rows` (rows * per_row floats) every rank's per-sample values,
  // in row order.
  void reduce(size_t rows, std::span<float> sum, std::span<float> all_rows);

  size_t width() const { return width_; }

 private:
  Communicator& comm_;
  size_t width_, per_row_;
  std::vector<Share> slices_;      // each rank's parameter slice
  std::vector<float> own_;         // own blocks' gradients, block after block
  std::vector<float> outgoing_;    // own blocks' slices, grouped by destination rank
  std::vector<float> incoming_;    // every block's slice of this rank's parameters
  std::vector<float> mine_, all_;  // the all-gather: own summed slice + own rows' values
  std::vector<size_t> send_counts_, recv_counts_;
};

}  // namespace cairn::distributed
