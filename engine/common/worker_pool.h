// WorkerPool: a fixed set of threads draining a bounded FIFO of tasks.
// TrySubmit never blocks: when the queue is full it refuses the task, which is
// how the server turns overload into RESOURCE_EXHAUSTED instead of latency.
//
// Thread safety: TrySubmit is safe from any thread. The destructor stops
// accepting, runs every task already queued, and joins the threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace strata {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue holds max_queued tasks already or the
  // pool is shutting down.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);

  size_t threads() const { return threads_.size(); }

 private:
  void Run();

  const size_t max_queued_;
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees through it even
  // when abseil comes uninstrumented from the distribution.
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace strata
