#include "cairn/distributed/block_gradients.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/nn/gemm.h"

namespace cairn::distributed {
namespace {

constexpr size_t kBlock = static_cast<size_t>(nn::kGradientBlock);

size_t length(Share s) {
  return s.end - s.begin;
}

}  // namespace

BlockGradients::BlockGradients(Communicator& comm, size_t width, size_t per_row, size_t max_rows)
    : comm_(comm), width_(width), per_row_(per_row) {
  const size_t ranks = static_cast<size_t>(comm.size());
  for (int r = 0; r < comm.size(); ++r) slices_.push_back(share_of(width, r, comm.size()));
  const size_t blocks = blocks_of(max_rows);
  const size_t most_own_blocks = (blocks + ranks - 1) / ranks;
  const size_t most_slice = (width + ranks - 1) / ranks;
  own_.resize(most_own_blocks * width);
  outgoing_.resize(most_own_blocks * width);
  incoming_.resize(blocks * most_slice);
  mine_.resize(most_slice + most_own_blocks * kBlock * per_row);
  all_.resize(width + max_rows * per_row);
  send_counts_.resize(ranks);
  recv_counts_.resize(ranks);
}

size_t BlockGradients::blocks_of(size_t rows) {
  return (rows + kBlock - 1) / kBlock;
}

Share BlockGradients::own_blocks(size_t rows) const {
  return share_of(blocks_of(rows), comm_.rank(), comm_.size());
}

Share BlockGradients::own_rows(size_t rows) const {
  const Share b = own_blocks(rows);
  return {std::min(rows, b.begin * kBlock), std::min(rows, b.end * kBlock)};
}

std::span<float> BlockGradients::own_block_gradients(size_t rows) {
  const std::span<float> out = std::span<float>(own_).first(length(own_blocks(rows)) * width_);
  std::fill(out.begin(), out.end(), 0.0f);
  return out;
}

std::span<float> BlockGradients::own_row_values(size_t rows) {
  const Share own = own_rows(rows);
  const Share slice = slices_[static_cast<size_t>(comm_.rank())];
  return std::span<float>(mine_).subspan(length(slice), length(own) * per_row_);
}

void BlockGradients::reduce(size_t rows, std::span<float> sum, std::span<float> all_rows) {
  if (sum.size() != width_ || all_rows.size() != rows * per_row_) {
    throw Error(
        "BlockGradients::reduce: the outputs do not have width() and rows * per_row floats");
  }
  const size_t blocks = blocks_of(rows);
  const size_t me = static_cast<size_t>(comm_.rank());
  const Share own = own_blocks(rows);
  const size_t my_slice = length(slices_[me]);
  // Destination r's section of the outgoing buffer holds, for each own block in order, r's
  // slice of it.
  const size_t own_count = length(own);
  float* out = outgoing_.data();
  for (const Share slice : slices_) {
    for (size_t b = 0; b < own_count; ++b) {
      const float* g = own_.data() + b * width_;
      out = std::copy(g + slice.begin, g + slice.end, out);
    }
  }
  // Reduce-scatter in a fixed order: this rank gets its slice of every block, from the
  // ranks in rank order, which is block order.
  for (size_t r = 0; r < slices_.size(); ++r) {
    const Share theirs = share_of(blocks, static_cast<int>(r), comm_.size());
    send_counts_[r] = length(own) * length(slices_[r]) * sizeof(float);
    recv_counts_[r] = length(theirs) * my_slice * sizeof(float);
  }
  comm_.all_to_all(
      std::as_bytes(std::span<const float>(outgoing_).first(length(own) * width_)), send_counts_,
      std::as_writable_bytes(std::span<float>(incoming_).first(blocks * my_slice)), recv_counts_);
  float* summed = mine_.data();
  std::fill(summed, summed + my_slice, 0.0f);
  for (size_t k = 0; k < blocks; ++k) {
    const float* g = incoming_.data() + k * my_slice;
    for (size_t i = 0; i < my_slice; ++i) summed[i] += g[i];
  }
  // All-gather: every rank's summed slice and its rows' values.
  for (size_t r = 0; r < slices_.size(); ++r) {
    const Share theirs = share_of(blocks, static_cast<int>(r), comm_.size());
    const size_t their_rows =
        std::min(rows, theirs.end * kBlock) - std::min(rows, theirs.begin * kBlock);
    recv_counts_[r] = (length(slices_[r]) + their_rows * per_row_) * sizeof(float);
  }
  const size_t own_rows_count = length(own_rows(rows));
  const size_t mine = my_slice + own_rows_count * per_row_;
  size_t total = 0;
  for (size_t c : recv_counts_) total += c / sizeof(float);
  comm_.all_gather(std::as_bytes(std::span<const float>(mine_).first(mine)),
                   std::as_writable_bytes(std::span<float>(all_).first(total)), recv_counts_);
  const float* in = all_.data();
  float* rows_out = all_rows.data();
  for (size_t r = 0; r < slices_.size(); ++r) {
    const Share slice = slices_[r];
    std::copy(in, in + length(slice), sum.begin() + static_cast<std::ptrdiff_t>(slice.begin));
    in += length(slice);
    const size_t n = recv_counts_[r] / sizeof(float) - length(slice);
    std::copy(in, in + n, rows_out);
    rows_out += n;
    in += n;
  }
}

}  // namespace cairn::distributed
