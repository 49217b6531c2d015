// Hit-rate baselines of BENCHMARKS.md, computed exactly over a key stream:
// an LRU cache and the static top-k oracle of the same capacity. Used by
// `strata bench --in-process --baselines` and the GPU cache's hit-rate bench.
//
// Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/common/key_stream.h"

namespace strata {

// Hit rate of an exact LRU of `capacity` rows over `keys` (in [0, rows)),
// counting only the keys after the first `warm`.
double LruHitRate(const std::vector<int64_t>& keys, uint64_t rows,
                  uint64_t capacity, size_t warm);

// Hit rate of a cache that holds exactly the `capacity` most popular keys of
// `stream`, over `keys` after the first `warm`.
double OracleHitRate(const KeyStream& stream, const std::vector<int64_t>& keys,
                     uint64_t capacity, size_t warm);

}  // namespace strata
