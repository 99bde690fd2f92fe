// Counting heap allocations in tests: the test binary replaces the global operator
// new/delete (and, without AddressSanitizer, malloc and friends) with versions that count
// calls made by the current thread while an AllocationCounter is alive. Every other
// test is unaffected. Only tests/support/allocation_counter.cpp may replace them.
#pragma once

#include <cstddef>

namespace cairn::testing {

class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  // Allocations by this thread since construction.
  size_t count() const;
  // True if malloc/calloc/realloc are counted too (not under AddressSanitizer).
  static bool counts_malloc();
};

}  // namespace cairn::testing
