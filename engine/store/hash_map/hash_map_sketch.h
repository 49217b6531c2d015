// FrequencySketch: an approximate access counter (count-min sketch) for the
// hash map tier's frequency-aware policies, after TinyLFU (Einziger et al.,
// 2017), with 16 one-byte counters per resident row. Each key maps to one
// 64-byte block and to one counter in each of its four 16-counter groups, so
// an increment or an estimate touches one cache line. Every `reset_period`
// increments, all counters are halved, so old popularity fades.
//
// Ownership: owns its counters.
// Thread safety: Increment() and Estimate() may run concurrently with each
// other (counters are relaxed atomics; concurrent increments of one counter
// may lose counts, which only makes the estimate more approximate).
// MaybeAge() must not run concurrently with anything else; the hash map tier
// calls it under a partition's exclusive lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace strata {

class FrequencySketch {
 public:
  // Sized for about `capacity_rows` resident rows (at least 64).
  explicit FrequencySketch(uint64_t capacity_rows);

  // Counts one access of the key whose 64-bit hash is `hash`.
  void Increment(uint64_t hash);
  // Counts `n` accesses towards the next aging; call once per batch.
  void AddEvents(uint64_t n) {
    events_.fetch_add(n, std::memory_order_relaxed);
  }
  // The estimated number of accesses (saturates at 255).
  uint32_t Estimate(uint64_t hash) const;
  // Halves every counter once `reset_period` events were counted.
  void MaybeAge();

  uint64_t bytes() const { return blocks_ * kBlockBytes; }

 private:
  static constexpr uint64_t kBlockBytes = 64;

  const std::atomic<uint8_t>* Block(uint64_t mixed) const {
    return &counters_[((mixed >> 16) & (blocks_ - 1)) * kBlockBytes];
  }

  // Constant after construction.
  uint64_t blocks_;                                   // a power of two
  uint64_t reset_period_;                             // events between agings
  std::unique_ptr<std::atomic<uint8_t>[]> counters_;  // (blocks_, 64)

  std::atomic<uint64_t> events_{0};
};

}  // namespace strata
