#include "cairn/distributed/row_gather.h"

namespace cairn::distributed {

RowGather::RowGather(Communicator& comm, size_t rows, size_t width)
    : comm_(comm), width_(width), own_(share_of(rows, comm.rank(), comm.size())) {
  mine_.resize((own_.end - own_.begin) * width);
  all_.resize(rows * width);
  for (int r = 0; r < comm.size(); ++r) {
    const Share s = share_of(rows, r, comm.size());
    counts_.push_back((s.end - s.begin) * width * sizeof(float));
  }
}

std::span<const float> RowGather::gather() {
  comm_.all_gather(std::as_bytes(std::span<const float>(mine_)),
                   std::as_writable_bytes(std::span<float>(all_)), counts_);
  return all_;
}

}  // namespace cairn::distributed
