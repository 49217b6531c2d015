// Batcher: coalesces lookup jobs from many callers into batches and runs them
// on worker threads (one per CPU thread here; one per CUDA stream with a GPU).
//
// Submit never blocks: a full queue refuses the job at once
// (RESOURCE_EXHAUSTED). A worker takes every queued job up to
// `max_batch_keys` keys, waiting up to `max_queue_delay_us` for more when the
// batch is short, drops jobs whose deadline has passed (DEADLINE_EXCEEDED,
// before any work), then reads each table once for the whole batch with one
// TierChain::LookupParts call over every job that asks it: tier 1 reads
// straight into each job's rows, and the keys tier 1 misses are deduplicated
// across the batch, so each is read from the lower tiers once. Then every
// lookup job is finished, and the infer jobs (infer_job.h) go through the
// worker's InferStage: one dense-network run per model version.
//
// Ownership: owns queued jobs and its threads; borrows the fill pool.
// Thread safety: Submit is safe from any thread. The destructor stops
// accepting, finishes every queued job, and joins the workers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "engine/batch/infer_stage.h"
#include "engine/batch/lookup_job.h"
#include "engine/common/histogram.h"
#include "engine/common/worker_pool.h"
#include "engine/store/tier_chain.h"

namespace strata {

struct BatcherOptions {
  // Worker threads (CPU) reading batches; 0 = one per core.
  uint32_t workers = 0;
  // A worker stops adding jobs to a batch at this many keys (a single larger
  // job is still taken whole).
  uint32_t max_batch_keys = 65536;
  // How long a worker waits for more jobs when its batch is short; 0 takes
  // what is queued and goes.
  uint32_t max_queue_delay_us = 0;
  // Jobs waiting beyond which Submit refuses new ones.
  uint32_t max_queued_jobs = 4096;
  // How long one idle worker keeps polling the queue before it sleeps, so
  // that the next job is picked up without a wake-up (a futex wake and, on a
  // VM, an idle vCPU's exit from halt); at most one worker polls at a time,
  // yielding its core to runnable threads between polls. 0 = sleep at once.
  uint32_t idle_spin_us = 0;
  // Tier-1 fill policy (see ChainLookupOptions, whose defaults these are).
  double hit_rate_threshold = ChainLookupOptions{}.hit_rate_threshold;
  // Default miss budget for jobs that give none; 0 = unlimited. A job's own
  // budget counts for that job alone (capped by this one when it is set):
  // jobs of one batch with different budgets never wait for each other's.
  int64_t miss_budget_us = ChainLookupOptions{}.miss_budget_us;
  // Threads running asynchronous tier-1 fills and budgeted lower reads.
  uint32_t fill_threads = 2;

  [[nodiscard]] absl::Status Validate() const;
};

struct BatcherStats {
  uint64_t batches = 0;
  uint64_t jobs = 0;
  uint64_t keys = 0;
  uint64_t rejected = 0;  // queue full
  uint64_t expired = 0;   // deadline passed, or caller gone, while queued
  uint64_t queued = 0;    // jobs waiting now
};

class Batcher {
 public:
  explicit Batcher(const BatcherOptions& options);
  ~Batcher();

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `job`, or returns RESOURCE_EXHAUSTED (and keeps ownership with
  // the caller's unique_ptr) when the queue is full or shutting down.
  [[nodiscard]] absl::Status Submit(std::unique_ptr<LookupJob>& job);

  BatcherStats Stats() const;
  // Keys, and jobs, of each batch the workers ran.
  HistogramSnapshot BatchKeys() const { return batch_keys_.Snapshot(); }
  HistogramSnapshot BatchJobs() const { return batch_jobs_.Snapshot(); }
  // Worker threads running (options.workers, or one per core).
  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }

 private:
  void Run();
  // Takes the next batch; empty when stopping and drained.
  std::vector<std::unique_ptr<LookupJob>> NextBatch();
  // With idle_spin_us set and the queue empty: polls it for that long,
  // unless another worker already does.
  void PollWhileIdle();
  void Execute(std::vector<std::unique_ptr<LookupJob>>& batch,
               InferStage& infer);

  // Constant after construction.
  const BatcherOptions options_;
  WorkerPool fill_pool_;

  struct Queued {
    std::unique_ptr<LookupJob> job;
    size_t keys;
  };

  mutable std::mutex mu_;
  std::condition_variable ready_;
  // With idle_spin_us set: jobs in queue_ (written under mu_, read by the
  // polling worker without it), and whether a worker is polling (Submit then
  // skips the wake-up). Untouched when polling is off.
  std::atomic<size_t> queued_{0};
  std::atomic<bool> polling_{false};
  std::deque<Queued> queue_;  // Guarded by mu_.
  bool stopping_ = false;     // Guarded by mu_.
  BatcherStats stats_;        // Guarded by mu_.
  Histogram batch_keys_{Histogram::ExponentialBounds(1, 4, 10)};
  Histogram batch_jobs_{Histogram::ExponentialBounds(1, 2, 10)};

  std::vector<std::thread> workers_;
};

}  // namespace strata
