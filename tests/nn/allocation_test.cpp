// Steady-state forward passes and training steps must not touch the heap.
//
// This file replaces the global operator new/delete of the whole test binary (and, in
// builds without AddressSanitizer, interposes malloc/calloc/realloc and the aligned
// allocators, which Eigen uses directly) with versions that forward to the normal
// allocator and count calls. Counting is opt-in per thread (AllocationCounter), so
// every other test in the binary is unaffected.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <new>

#include "cairn/nn/adam.h"
#include "cairn/nn/grad_clip.h"
#include "cairn/nn/model.h"
#include "cairn/nn/model_builder.h"
#include "cairn/nn/model_zoo.h"
#include "nn_test_helpers.h"

namespace {

thread_local bool t_counting = false;
thread_local size_t t_allocations = 0;

inline void note_allocation() {
  if (t_counting) ++t_allocations;
}

// Counts heap allocations made by this thread while alive.
class AllocationCounter {
 public:
  AllocationCounter() {
    t_allocations = 0;
    t_counting = true;
  }
  ~AllocationCounter() { t_counting = false; }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  size_t count() const { return t_allocations; }
};

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

#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
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

namespace cairn::nn {
namespace {

TEST(NnAllocation, CounterSeesAllocations) {
  AllocationCounter counter;
  auto* v = new std::vector<int>(100);
  delete v;
  EXPECT_GE(counter.count(), 2u);
#ifdef CAIRN_COUNTS_MALLOC
  const size_t before = counter.count();
  Vector<float> eigen_heap(1000);  // Eigen allocates with malloc, not operator new
  EXPECT_GT(counter.count(), before);
#endif
}

ModelSpec mixed_spec() {
  return ModelBuilder(6)
      .add(Block("trunk").dense(16, Activation::silu()).layer_norm())
      .add(Block("side").dense(8, Activation::gelu()))
      .add(Block("pi", {"trunk", "side"}).concat().dense(5, Activation::elu()).dense(3))
      .add(Block("vf", {"trunk"}).dense(8, Activation::softplus()).dense(1))
      .output("pi")
      .output("vf")
      .build();
}

// Forward, a loss gradient on every output, backward, clipping and Adam.
template <typename T>
void train_step(Model<T>& model, Adam<T>& adam, const RowMatrix<T>& x) {
  model.zero_grad();
  model.forward(as_span(x));
  for (size_t o = 0; o < model.num_outputs(); ++o) {
    model.output_grad(o).map() = model.output(o).map() * T(0.01);
  }
  model.backward();
  clip_grad_norm<T>(model.flat_gradients(), 0.5);
  adam.step(model.flat_parameters(), model.flat_gradients());
}

template <typename T>
void expect_steady_state_is_allocation_free(const ModelSpec& spec, Index batch) {
  Model<T> model(spec);
  model.initialize(1);
  Adam<T> adam(model.parameters(), {.lr = 1e-4});
  const RowMatrix<T> x = testing::random_matrix<T>(batch, spec.input_size, 2);
  train_step(model, adam, x);  // warm-up: buffers grow to this batch size
  {
    AllocationCounter counter;
    for (int i = 0; i < 5; ++i) model.forward(as_span(x));
    EXPECT_EQ(counter.count(), 0u) << "forward at batch " << batch;
  }
  {
    AllocationCounter counter;
    for (int i = 0; i < 5; ++i) train_step(model, adam, x);
    EXPECT_EQ(counter.count(), 0u) << "training step at batch " << batch;
  }
  {
    // A smaller batch after a larger one reuses the buffers.
    const RowMatrix<T> one = testing::random_matrix<T>(1, spec.input_size, 3);
    AllocationCounter counter;
    model.forward(as_span(one));
    EXPECT_EQ(counter.count(), 0u) << "batch 1 after batch " << batch;
  }
}

TEST(NnAllocation, ActorCriticSteadyStateFloat) {
  for (Index batch : {1, 64, 512, 2048}) {
    expect_steady_state_is_allocation_free<float>(ppo_actor_critic(4, 2), batch);
  }
}

TEST(NnAllocation, MixedLayersSteadyStateFloatAndDouble) {
  for (Index batch : {1, 64, 2048}) {
    expect_steady_state_is_allocation_free<float>(mixed_spec(), batch);
    expect_steady_state_is_allocation_free<double>(mixed_spec(), batch);
  }
}

TEST(NnAllocation, FoundingStoryModelSteadyState) {
  for (Index batch : {1, 64, 512}) {
    expect_steady_state_is_allocation_free<float>(founding_story_actor_critic(8, 4), batch);
  }
}

}  // namespace
}  // namespace cairn::nn
