// Pooling multi-hot bags (TorchRec EmbeddingBag semantics): bag b is rows
// [offsets[b], offsets[b + 1]) of a table's looked-up rows, summed or
// averaged into one row; an empty bag pools to a zero row (MEAN too).
//
// Plain functions over caller memory; thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace strata {

enum class BagPooling : uint8_t { kSum, kMean };

// Writes bag b's pooled row (dim floats) at out + b * out_stride, for every
// bag of `offsets` (B + 1 entries, validated: from 0 to rows / dim,
// non-decreasing). `rows` is (n, dim).
inline void PoolBags(absl::Span<const float> rows, size_t dim,
                     absl::Span<const int64_t> offsets, BagPooling pooling,
                     float* out, size_t out_stride) {
  for (size_t b = 0; b + 1 < offsets.size(); ++b) {
    const size_t first = offsets[b], end = offsets[b + 1];
    float* bag = out + b * out_stride;
    std::fill(bag, bag + dim, 0.0f);
    for (size_t k = first; k < end; ++k) {
      const float* row = rows.data() + k * dim;
      for (size_t d = 0; d < dim; ++d) bag[d] += row[d];
    }
    if (pooling == BagPooling::kMean && end > first) {
      const float scale = 1.0f / static_cast<float>(end - first);
      for (size_t d = 0; d < dim; ++d) bag[d] *= scale;
    }
  }
}

// counts[b] = how many of `defaulted` (ascending key positions) fall in bag
// b, for the B bags of `offsets`.
inline void CountBagDefaults(absl::Span<const size_t> defaulted,
                             absl::Span<const int64_t> offsets,
                             uint32_t* counts) {
  size_t next = 0;
  for (size_t b = 0; b + 1 < offsets.size(); ++b) {
    uint32_t count = 0;
    const size_t end = static_cast<size_t>(offsets[b + 1]);
    while (next < defaulted.size() && defaulted[next] < end) {
      ++count;
      ++next;
    }
    counts[b] = count;
  }
}

}  // namespace strata
