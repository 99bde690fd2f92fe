#include "cairn/nn/intra_op_threads.h"

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
  const uint64_t generation = generation_;
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

void IntraOpPool::work(int part, uint64_t seen) {
  for (;;) {
    Task task;
    void* context;
    int parts;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      task = task_;
      context = context_;
      parts = parts_;
    }
    if (part < parts) task(context, part, parts);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = task;
    context_ = context;
    parts_ = parts;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  task(context, 0, parts);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
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
