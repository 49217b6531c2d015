#include "client/bench/bench_phase.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace strata {

using Clock = std::chrono::steady_clock;

// Runs `lookup(thread, keys)` on one thread per stream, each over its own key
// buffer in batches from `*cursor`, for `seconds`, and adds to `*phase`.
void RunPhase(const std::vector<std::vector<int64_t>>& streams, uint32_t batch,
              double seconds, const LookupFn& lookup,
              std::vector<size_t>* cursor, Phase* phase) {
  const uint32_t threads = static_cast<uint32_t>(streams.size());
  std::atomic<bool> stop{false};
  std::atomic<uint32_t> ready{0};
  std::vector<uint64_t> keys_done(threads, 0);
  std::vector<std::vector<uint32_t>> latencies_ns(threads);
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::vector<int64_t>& keys = streams[t];
      std::vector<uint32_t>& lat = latencies_ns[t];
      lat.reserve(1 << 18);
      ready.fetch_add(1);
      while (ready.load() < threads + 1) {
      }
      size_t& pos = (*cursor)[t];
      while (!stop.load(std::memory_order_relaxed)) {
        const auto start = Clock::now();
        lookup(t, absl::MakeConstSpan(&keys[pos], batch));
        lat.push_back(static_cast<uint32_t>(std::min<int64_t>(
            std::chrono::nanoseconds(Clock::now() - start).count(),
            UINT32_MAX)));
        keys_done[t] += batch;
        pos += batch;
        if (pos + batch > keys.size()) pos = 0;
      }
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto start = Clock::now();
  ready.fetch_add(1);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (std::thread& w : workers) w.join();
  phase->seconds += std::chrono::duration<double>(Clock::now() - start).count();
  for (uint32_t t = 0; t < threads; ++t) {
    phase->keys += keys_done[t];
    phase->latencies_ns.insert(phase->latencies_ns.end(),
                               latencies_ns[t].begin(), latencies_ns[t].end());
  }
}

}  // namespace strata
