// Internal: the workers behind nn/intra_op_threads.h.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn::nn {

class IntraOpPool {
 public:
  // task(context, part, parts) computes part `part` of `parts`.
  using Task = void (*)(void* context, int part, int parts);

  static IntraOpPool& instance();
  ~IntraOpPool();

  int threads() const { return threads_.load(std::memory_order_relaxed); }
  void resize(int threads);
  // Runs task for every part (part 0 on the calling thread) and returns when all are
  // done. Callers take turns. Does not allocate.
  void run(Task task, void* context);

 private:
  explicit IntraOpPool(int threads);
  void start(int threads);
  void stop();
  void work(int part, uint64_t seen);

  std::mutex run_mutex_;  // one run (or resize) at a time
  std::mutex mutex_;      // for blocking waits and for publishing a generation
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  std::atomic<bool> stopping_{false};
  // A run: task_, context_ and parts_ are written, then generation_ is incremented
  // (release); a worker that sees the new generation (acquire) reads them, runs its part
  // and decrements pending_.
  std::atomic<uint64_t> generation_{0};
  Task task_ = nullptr;
  void* context_ = nullptr;
  int parts_ = 1;
  std::atomic<int> pending_{0};
};

}  // namespace cairn::nn
