// GpuCacheLayout: the sizes both GpuCache backends derive from the options
// (sets, slots, sketch width, decay period, bytes), so they agree exactly.
// A plain value type.
#pragma once

#include <cstdint>

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

}  // namespace strata
