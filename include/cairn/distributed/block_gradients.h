// BlockGradients: the gradient of one minibatch computed by several ranks, exactly.
//
// DD-PPO (Wijmans et al. 2020) has every rank compute the gradient of part of the
// minibatch and reduces the parts. An allreduce adds the parts in an order that depends on
// the network, so the bits would depend on the number of ranks. Here the minibatch is cut
// into fixed blocks of nn::kGradientBlock samples, the unit in which cairn's engine sums
// over samples (nn/gemm.h): the ranks share the blocks out contiguously, each computes its
// blocks' gradients one block at a time (each a sum from zero), every block's gradient is
// gathered by every rank, and they are added from zero in block order. That is exactly the
// sum one process forms over the whole minibatch, so the result is the same bits on any
// number of ranks.
//
// Every call is collective except own_blocks() and slot(): every rank calls gather_rows()
// and reduce() in the same order with the same sizes. Not thread-safe. Allocates only in the
// constructor.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "cairn/distributed/communicator.h"

namespace cairn::distributed {

class BlockGradients {
 public:
  // `width`: the floats of one block's gradient; `max_rows`: the most samples a minibatch
  // holds. `comm` must outlive this object. Allocates.
  BlockGradients(Communicator& comm, size_t width, size_t max_rows);

  // The blocks of a minibatch of `rows` samples (ceil(rows / kGradientBlock)), and this
  // rank's share of them (share_of), with the rows they cover.
  static size_t blocks_of(size_t rows);
  Share own_blocks(size_t rows) const;
  Share own_rows(size_t rows) const;

  // Every rank's per-sample values of the minibatch: `mine` holds this rank's own_rows()
  // (`per_row` floats each), `all` receives all `rows` rows in order.
  void gather_rows(size_t rows, size_t per_row, std::span<const float> mine, std::span<float> all);

  // Where this rank writes the gradient of its block `block` (in own_blocks(rows)):
  // width() floats.
  std::span<float> slot(size_t rows, size_t block);
  // Gathers every block's gradient from every rank and writes their sum, added from zero in
  // block order, into `out` (width() floats).
  void reduce(size_t rows, std::span<float> out);

  size_t width() const { return width_; }

 private:
  Communicator& comm_;
  size_t width_;
  std::vector<float> mine_, all_;
  std::vector<size_t> counts_;
};

}  // namespace cairn::distributed
