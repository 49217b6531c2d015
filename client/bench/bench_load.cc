#include "client/bench/bench_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t Ns(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(s));
}

// Shared state of one asynchronous run.
struct AsyncRun {
  LoadOptions options;
  const AsyncIssue* issue;
  uint64_t keys_per_request;
  Clock::time_point measure_from, end;
  std::vector<LatencyLog> logs;  // per slot

  std::mutex mu;
  std::condition_variable cv;
  std::deque<uint32_t> free_slots;  // open loop; Guarded by mu.
  std::deque<uint32_t> restarts;    // closed loop, see below; Guarded by mu.
  uint32_t in_flight = 0;           // Guarded by mu.
  std::atomic<uint64_t> seq{0};

  // Starts a call on `slot` whose latency counts from `start`.
  void Start(uint32_t slot, Clock::time_point start, bool closed_loop) {
    (*issue)(slot, seq.fetch_add(1),
             [this, slot, start, closed_loop](const std::string& status) {
               const auto now = Clock::now();
               if (start >= measure_from && start < end) {
                 logs[slot].Add(Ns(now - start), status, keys_per_request,
                                Ns(now - measure_from));
               }
               if (closed_loop && now < end) {
                 // A call that fails at once may complete inline; past a
                 // few nested restarts, hand the slot to the driver thread
                 // instead of growing the stack.
                 thread_local int depth = 0;
                 if (depth < 8) {
                   ++depth;
                   Start(slot, Clock::now(), true);
                   --depth;
                 } else {
                   std::lock_guard lock(mu);
                   restarts.push_back(slot);
                   cv.notify_all();
                 }
                 return;
               }
               std::lock_guard lock(mu);
               --in_flight;
               if (!closed_loop) free_slots.push_back(slot);
               cv.notify_all();
             });
  }
};

}  // namespace

LatencyLog RunAsyncLoad(const LoadOptions& options, const AsyncIssue& issue,
                        uint64_t keys_per_request, double* window_s) {
  auto run = std::make_unique<AsyncRun>();
  run->options = options;
  run->issue = &issue;
  run->keys_per_request = keys_per_request;
  run->logs.resize(options.concurrency);
  const auto start = Clock::now();
  run->measure_from = start + Seconds(options.warmup_s);
  run->end = run->measure_from + Seconds(options.duration_s);

  if (options.rps <= 0) {
    {
      std::lock_guard lock(run->mu);
      run->in_flight = options.concurrency;
    }
    for (uint32_t s = 0; s < options.concurrency; ++s) {
      run->Start(s, Clock::now(), /*closed_loop=*/true);
    }
  } else {
    {
      std::lock_guard lock(run->mu);
      for (uint32_t s = 0; s < options.concurrency; ++s)
        run->free_slots.push_back(s);
    }
    const auto interval = Seconds(1.0 / options.rps);
    for (uint64_t i = 0;; ++i) {
      const auto scheduled = start + i * interval;
      if (scheduled >= run->end) break;
      std::this_thread::sleep_until(scheduled);
      uint32_t slot;
      {
        std::unique_lock lock(run->mu);
        run->cv.wait(lock, [&] { return !run->free_slots.empty(); });
        slot = run->free_slots.front();
        run->free_slots.pop_front();
        ++run->in_flight;
      }
      run->Start(slot, scheduled, /*closed_loop=*/false);
    }
  }
  for (;;) {
    std::unique_lock lock(run->mu);
    run->cv.wait(lock,
                 [&] { return run->in_flight == 0 || !run->restarts.empty(); });
    if (run->restarts.empty()) break;
    uint32_t slot = run->restarts.front();
    run->restarts.pop_front();
    lock.unlock();
    run->Start(slot, Clock::now(), /*closed_loop=*/true);
  }
  LatencyLog all;
  for (const LatencyLog& log : run->logs) all.Merge(log);
  *window_s = std::max(options.duration_s, all.last_done_ns() / 1e9);
  return all;
}

LatencyLog RunSyncLoad(const LoadOptions& options, const SyncCall& call,
                       uint64_t keys_per_request, double* window_s) {
  const auto start = Clock::now();
  const auto measure_from = start + Seconds(options.warmup_s);
  const auto end = measure_from + Seconds(options.duration_s);
  std::vector<LatencyLog> logs(options.concurrency);
  std::vector<std::thread> threads;
  for (uint32_t s = 0; s < options.concurrency; ++s) {
    threads.emplace_back([&, s] {
      const auto interval = options.rps > 0
                                ? Seconds(options.concurrency / options.rps)
                                : Clock::duration::zero();
      for (uint64_t i = 0;; ++i) {
        auto begin = Clock::now();
        if (options.rps > 0) {
          begin = start + Seconds(double(s) / options.rps) + i * interval;
          std::this_thread::sleep_until(begin);
        }
        if (begin >= end) return;
        std::string status = call(s, i * options.concurrency + s);
        if (begin >= measure_from) {
          const auto now = Clock::now();
          logs[s].Add(Ns(now - begin), status, keys_per_request,
                      Ns(now - measure_from));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  LatencyLog all;
  for (const LatencyLog& log : logs) all.Merge(log);
  *window_s = std::max(options.duration_s, all.last_done_ns() / 1e9);
  return all;
}

}  // namespace strata::bench
