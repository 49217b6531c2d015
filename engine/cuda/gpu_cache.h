// GpuCache: one table's embedding cache in GPU memory (HBM), behind a plain
// C++ interface with two backends that make the same decisions
// (gpu_cache_policy.h): "cuda" (kernels on CUDA streams; needs a device) and
// "reference" (the same functions over host memory, batch for batch, so the
// whole GPU path runs in CI without a GPU).
//
// Batches are host arrays: the cuda backend stages them through pinned
// buffers allocated once. Query copies hit rows into `values` and lists the
// misses; a separate counting pass then bumps the hits' counts and counts the
// misses in the sketch, so the hit path writes nothing. Insert applies
// admission (a full set's weakest way is replaced only by a more frequent
// candidate); UpdateIfPresent overwrites resident rows only; Invalidate frees
// the ways of the keys. Rows stay fp32.
//
// Thread safety: every method is safe for concurrent calls, and no query
// ever sees a half-written row. The reference backend runs one call at a
// time; the cuda backend runs queries concurrently on its streams while
// writers (serialized among themselves) free the ways they will touch, wait
// for the queries in flight, and only then write rows and publish tags.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace strata {

struct GpuCacheOptions {
  uint32_t dim = 0;
  // Rows the cache may hold; rounded down to whole sets of 8 ways (at least
  // one set).
  uint64_t capacity_rows = 0;
  // CUDA device (cuda backend).
  int device = 0;
  // Lookup streams per cache (cuda backend).
  uint32_t streams = 2;
  // Counted accesses between two halvings of every count; 0 = 10x the
  // capacity.
  uint64_t decay_period = 0;

  [[nodiscard]] absl::Status Validate() const;
};

struct GpuCacheStats {
  uint64_t lookups = 0;
  uint64_t hits = 0;
  uint64_t rows = 0;   // resident now
  uint64_t bytes = 0;  // device (or host, for the reference) bytes held
  uint64_t inserted = 0;
  uint64_t rejected = 0;  // inserts refused by admission
  uint64_t evicted = 0;
};

// The memory a cache of `options` takes: tags, rows and sketch.
uint64_t GpuCacheBytes(const GpuCacheOptions& options);

class GpuCache {
 public:
  virtual ~GpuCache() = default;

  virtual const std::string& backend() const = 0;
  virtual uint32_t dim() const = 0;
  // Ways, i.e. the most rows it can hold.
  virtual uint64_t slots() const = 0;

  // Fills the rows of resident keys; appends the positions of the others to
  // `missing`, ascending.
  [[nodiscard]] virtual absl::Status Query(absl::Span<const int64_t> keys,
                                           absl::Span<float> values,
                                           std::vector<size_t>* missing) = 0;
  [[nodiscard]] virtual absl::Status Insert(absl::Span<const int64_t> keys,
                                            absl::Span<const float> values) = 0;
  [[nodiscard]] virtual absl::Status UpdateIfPresent(
      absl::Span<const int64_t> keys, absl::Span<const float> values) = 0;
  [[nodiscard]] virtual absl::Status Invalidate(
      absl::Span<const int64_t> keys) = 0;
  // Up to `n` resident keys, most frequent first (warm-up of another cache).
  [[nodiscard]] virtual absl::StatusOr<std::vector<int64_t>> HottestKeys(
      size_t n) = 0;

  virtual GpuCacheStats Stats() const = 0;
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<GpuCache>> NewReferenceGpuCache(
    const GpuCacheOptions& options);
// UNAVAILABLE when this build has no CUDA or the process sees no device.
[[nodiscard]] absl::StatusOr<std::unique_ptr<GpuCache>> NewCudaGpuCache(
    const GpuCacheOptions& options);

}  // namespace strata
