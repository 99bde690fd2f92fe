#include "cairn/nn/intra_op_threads.h"

#include <chrono>
#include <cstdlib>
#include <string>

#include "cairn/error.h"
#include "intra_op_pool.h"

namespace cairn::nn {
namespace {

int threads_from_environment() {
  const char* value = std::getenv("CAIRN_INTRA_OP_THREADS");
  if (value == nullptr || *value == '\0') return 1;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  if (*end != '\0' || n < 1 || n > 256) {
    throw Error("CAIRN_INTRA_OP_THREADS must be a whole number from 1 to 256 (got \"" +
                std::string(value) + "\")");
  }
  return static_cast<int>(n);
}

}  // namespace

IntraOpPool& IntraOpPool::instance() {
  static IntraOpPool pool(threads_from_environment());
  return pool;
}

IntraOpPool::IntraOpPool(int threads) {
  start(threads);
}

IntraOpPool::~IntraOpPool() {
  stop();
}

void IntraOpPool::start(int threads) {
  threads_ = threads;
  stopping_ = false;
  // A new worker starts from the current generation: the last run's task is not its
  // own (no run happens meanwhile: start is called by the constructor or under run_mutex_).
  const uint64_t generation = generation_.load(std::memory_order_relaxed);
  for (int part = 1; part < threads; ++part) {
    workers_.emplace_back([this, part, generation] { work(part, generation); });
  }
}

void IntraOpPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
  workers_.clear();
}

void IntraOpPool::resize(int threads) {
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  if (threads == threads_) return;
  stop();
  start(threads);
}

namespace {

// Waking a thread blocked on a condition variable costs tens of microseconds on a
// virtual machine, as much as a split product saves; so both sides first spin for a
// while (products come back to back while a network trains) and only then block.
constexpr auto kSpin = std::chrono::microseconds(200);

template <typename Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
  }
}

}  // namespace

void IntraOpPool::work(int part, uint64_t seen) {
  for (;;) {
    const auto has_work = [&] {
      return stopping_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(has_work)) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, has_work);
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    // task_, context_ and parts_ were written before the generation was published.
    if (part < parts_) task_(context_, part, parts_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void IntraOpPool::run(Task task, void* context) {
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  const int parts = threads_.load(std::memory_order_relaxed);
  if (parts == 1) {
    task(context, 0, 1);
    return;
  }
  task_ = task;
  context_ = context;
  parts_ = parts;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // Published under the mutex, so a worker about to block cannot miss the wake-up.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  task(context, 0, parts);
  const auto all_done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, all_done);
  }
}

void set_intra_op_threads(int n) {
  if (n < 1 || n > 256) {
    throw Error("intra-op threads must be from 1 to 256 (got " + std::to_string(n) + ")");
  }
  IntraOpPool::instance().resize(n);
}

int intra_op_threads() {
  return IntraOpPool::instance().threads();
}

}  // namespace cairn::nn
