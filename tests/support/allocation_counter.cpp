// Replaces the global allocation functions of the test binary with counting versions
// (see allocation_counter.h). In builds without AddressSanitizer it also interposes
// malloc/calloc/realloc and the aligned allocators, which Eigen uses directly.
#include "support/allocation_counter.h"

#include <cerrno>
#include <cstdlib>
#include <new>

#include "support/sanitized_build.h"

namespace {

thread_local bool t_counting = false;
thread_local size_t t_allocations = 0;

inline void note_allocation() {
  if (t_counting) ++t_allocations;
}

void* allocate(std::size_t n) {
  note_allocation();
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_aligned(std::size_t n, std::align_val_t align) {
  note_allocation();
  const auto a = static_cast<std::size_t>(align);
  void* p = std::aligned_alloc(a, (n + a - 1) / a * a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation();
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation();
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

#if !CAIRN_TESTS_UNDER_ASAN && defined(__GLIBC__)
// glibc's own entry points, so the interposed functions below can forward to them.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) noexcept {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(size_t count, size_t n) noexcept {
  note_allocation();
  return __libc_calloc(count, n);
}
void* realloc(void* p, size_t n) noexcept {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) noexcept {
  note_allocation();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) noexcept {
  note_allocation();
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(align, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}
#define CAIRN_COUNTS_MALLOC 1
#endif

namespace cairn::testing {

AllocationCounter::AllocationCounter() {
  t_allocations = 0;
  t_counting = true;
}
AllocationCounter::~AllocationCounter() {
  t_counting = false;
}
size_t AllocationCounter::count() const {
  return t_allocations;
}
bool AllocationCounter::counts_malloc() {
#ifdef CAIRN_COUNTS_MALLOC
  return true;
#else
  return false;
#endif
}

}  // namespace cairn::testing
