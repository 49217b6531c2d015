#include "engine/store/hash_map/hash_map_sketch.h"

#include <algorithm>
#include <bit>

#include "engine/common/random.h"

namespace strata {
namespace {

// The counter of group `g` (0..3) within a block, from 4 bits of `mixed`.
inline uint64_t CounterIndex(uint64_t mixed, int g) {
  return g * 16 + ((mixed >> (g * 4)) & 15);
}

}  // namespace

FrequencySketch::FrequencySketch(uint64_t capacity_rows) {
  const uint64_t rows = std::max<uint64_t>(capacity_rows, 64);
  // 16 counters (bytes) per resident row: at 4, collisions cost about 1.2
  // points of hit rate at 10% capacity and Zipf 1.05; beyond 16, nothing.
  blocks_ = std::bit_ceil((rows * 16 + kBlockBytes - 1) / kBlockBytes);
  // Halve every 256 x capacity events. Rows near the eviction boundary are
  // seen only a few times per 10 capacities of traffic, so every halving
  // throws away history that tells them apart: at 10% capacity, Zipf 1.05,
  // after 150 capacities of traffic, halving every 40x gives a hit rate of
  // 0.878 and every 256x 0.881, which is what exact, never-aged counts of
  // every key give (10x, as in TinyLFU, is worse still). 256x still follows
  // popularity that moves, a few hundred cache turnovers later; the counters
  // (conservative update, 16 per row) stay accurate that long.
  reset_period_ = 256 * rows;
  counters_ = std::make_unique<std::atomic<uint8_t>[]>(blocks_ * kBlockBytes);
  for (uint64_t i = 0; i < blocks_ * kBlockBytes; ++i) {
    counters_[i].store(0, std::memory_order_relaxed);
  }
}

void FrequencySketch::Increment(uint64_t hash) {
  const uint64_t mixed = Mix64(hash);
  std::atomic<uint8_t>* block = const_cast<std::atomic<uint8_t>*>(Block(mixed));
  // Conservative update: raise only the smallest counters.
  uint8_t c[4];
  uint8_t low = 255;
  for (int g = 0; g < 4; ++g) {
    c[g] = block[CounterIndex(mixed, g)].load(std::memory_order_relaxed);
    low = std::min(low, c[g]);
  }
  if (low == 255) return;
  for (int g = 0; g < 4; ++g) {
    if (c[g] == low) {
      block[CounterIndex(mixed, g)].store(low + 1, std::memory_order_relaxed);
    }
  }
}

uint32_t FrequencySketch::Estimate(uint64_t hash) const {
  const uint64_t mixed = Mix64(hash);
  const std::atomic<uint8_t>* block = Block(mixed);
  uint8_t low = 255;
  for (int g = 0; g < 4; ++g) {
    low = std::min(
        low, block[CounterIndex(mixed, g)].load(std::memory_order_relaxed));
  }
  return low;
}

void FrequencySketch::MaybeAge() {
  if (events_.load(std::memory_order_relaxed) < reset_period_) return;
  events_.store(0, std::memory_order_relaxed);
  for (uint64_t i = 0; i < blocks_ * kBlockBytes; ++i) {
    const uint8_t c = counters_[i].load(std::memory_order_relaxed);
    counters_[i].store(c >> 1, std::memory_order_relaxed);
  }
}

}  // namespace strata
