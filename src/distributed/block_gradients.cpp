#include "cairn/distributed/block_gradients.h"

#include <algorithm>

#include "cairn/error.h"
#include "cairn/nn/gemm.h"

namespace cairn::distributed {
namespace {

constexpr size_t kBlock = static_cast<size_t>(nn::kGradientBlock);

}  // namespace

BlockGradients::BlockGradients(Communicator& comm, size_t width, size_t max_rows)
    : comm_(comm), width_(width) {
  const size_t blocks = blocks_of(max_rows);
  const size_t most_own =
      (blocks + static_cast<size_t>(comm.size()) - 1) / static_cast<size_t>(comm.size());
  mine_.resize(std::max(most_own * width, max_rows * 4));
  all_.resize(std::max(blocks * width, max_rows * 4));
  counts_.resize(static_cast<size_t>(comm.size()));
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

void BlockGradients::gather_rows(size_t rows, size_t per_row, std::span<const float> mine,
                                 std::span<float> all) {
  const size_t blocks = blocks_of(rows);
  for (int r = 0; r < comm_.size(); ++r) {
    const Share b = share_of(blocks, r, comm_.size());
    const size_t first = std::min(rows, b.begin * kBlock), last = std::min(rows, b.end * kBlock);
    counts_[static_cast<size_t>(r)] = (last - first) * per_row * sizeof(float);
  }
  if (all.size() != rows * per_row) {
    throw Error("BlockGradients::gather_rows: " + std::to_string(all.size()) + " floats for " +
                std::to_string(rows) + " rows of " + std::to_string(per_row));
  }
  comm_.all_gather(std::as_bytes(mine), std::as_writable_bytes(all), counts_);
}

std::span<float> BlockGradients::slot(size_t rows, size_t block) {
  const Share own = own_blocks(rows);
  if (block < own.begin || block >= own.end) {
    throw Error("BlockGradients::slot: block " + std::to_string(block) + " is not this rank's");
  }
  return std::span<float>(mine_).subspan((block - own.begin) * width_, width_);
}

void BlockGradients::reduce(size_t rows, std::span<float> out) {
  if (out.size() != width_) throw Error("BlockGradients::reduce: the output is not width() floats");
  const size_t blocks = blocks_of(rows);
  for (int r = 0; r < comm_.size(); ++r) {
    const Share b = share_of(blocks, r, comm_.size());
    counts_[static_cast<size_t>(r)] = (b.end - b.begin) * width_ * sizeof(float);
  }
  const Share own = own_blocks(rows);
  const size_t own_floats = (own.end - own.begin) * width_;
  comm_.all_gather(std::as_bytes(std::span<const float>(mine_).first(own_floats)),
                   std::as_writable_bytes(std::span<float>(all_).first(blocks * width_)), counts_);
  // sum_k block_k, from zero, in block order: the order of one process's accumulation.
  std::fill(out.begin(), out.end(), 0.0f);
  for (size_t k = 0; k < blocks; ++k) {
    const float* g = all_.data() + k * width_;
    for (size_t i = 0; i < width_; ++i) out[i] += g[i];
  }
}

}  // namespace cairn::distributed
