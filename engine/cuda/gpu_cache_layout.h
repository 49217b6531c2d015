// GpuCacheLayout: the sizes both GpuCache backends derive from the options
// (sets, slots, sketch width, decay period, bytes), so they agree exactly,
// and the host-side helpers both use. A plain value type; pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_policy.h"

namespace strata {

struct GpuCacheLayout {
  uint32_t dim = 0;
  uint32_t sets = 0;
  uint64_t slots = 0;         // sets * kWays
  uint32_t sketch_width = 0;  // counters per sketch row
  uint64_t decay_period = 0;  // counted accesses between halvings
  uint64_t bytes = 0;         // tags + rows + sketch

  static GpuCacheLayout For(const GpuCacheOptions& o) {
    using namespace gpu_cache;  // NOLINT
    GpuCacheLayout l;
    l.dim = o.dim;
    uint64_t sets = o.capacity_rows / kWays;
    if (sets == 0) sets = 1;
    if (sets > UINT32_MAX) sets = UINT32_MAX;
    l.sets = static_cast<uint32_t>(sets);
    l.slots = sets * kWays;
    l.sketch_width = SketchWidth(l.slots);
    l.decay_period = o.decay_period != 0 ? o.decay_period : 10 * l.slots;
    l.bytes = l.slots * (sizeof(int64_t) + sizeof(uint32_t) +
                         uint64_t{o.dim} * sizeof(float)) +
              uint64_t{kSketchDepth} * l.sketch_width * sizeof(uint32_t);
    return l;
  }
};

// Up to `n` resident keys of a cache's tags, most frequent first (then by
// key): HottestKeys of both backends (the cuda one over a copy of its tags).
inline std::vector<int64_t> HottestResident(const int64_t* keys,
                                            const uint32_t* meta,
                                            uint64_t slots, size_t n) {
  std::vector<std::pair<uint32_t, int64_t>> resident;
  for (uint64_t s = 0; s < slots; ++s) {
    if (gpu_cache::Occupied(meta[s])) {
      resident.emplace_back(gpu_cache::Count(meta[s]), keys[s]);
    }
  }
  std::sort(resident.begin(), resident.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<int64_t> out;
  for (size_t i = 0; i < resident.size() && i < n; ++i) {
    out.push_back(resident[i].second);
  }
  return out;
}

}  // namespace strata
