// Key streams for the GPU cache tests (the reference against its model, and
// the kernels against the reference): "random" (a small range, so keys
// collide and evict), "wide" (any int64 bits, from a pool so they repeat),
// "zipf", "one set" (every key in one set) and "extremes" (INT64_MIN/MAX, 0,
// -1 and neighbours).
//
// Not thread-safe: one per test.
#pragma once

#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/common/key_stream.h"
#include "engine/cuda/gpu_cache_policy.h"

namespace strata::testing {

// Draws keys for one stream kind.
class KeySource {
 public:
  KeySource(const std::string& kind, uint32_t sets, uint64_t seed)
      : kind_(kind), rng_(seed), zipf_(400, 1.05, seed) {
    if (kind == "one set") {
      // Keys that all land in the set of key 0.
      const uint32_t set = gpu_cache::SetIndex(0, sets);
      for (int64_t k = 0; one_set_.size() < 40; ++k) {
        if (gpu_cache::SetIndex(k, sets) == set) one_set_.push_back(k);
      }
    }
    // Random int64 keys (any bits), drawn from a pool so that they repeat.
    for (int i = 0; i < 500; ++i) wide_.push_back(static_cast<int64_t>(rng_()));
  }
  int64_t Next() {
    if (kind_ == "random") return static_cast<int64_t>(rng_() % 300) - 150;
    if (kind_ == "wide") return wide_[rng_() % wide_.size()];
    if (kind_ == "zipf") return zipf_.Next();
    if (kind_ == "one set") return one_set_[rng_() % one_set_.size()];
    static constexpr int64_t kEdge[] = {
        std::numeric_limits<int64_t>::min(),
        std::numeric_limits<int64_t>::max(),
        0,
        -1,
        1,
        std::numeric_limits<int64_t>::min() + 1,
        std::numeric_limits<int64_t>::max() - 1};
    return kEdge[rng_() % std::size(kEdge)];
  }

 private:
  std::string kind_;
  std::mt19937_64 rng_;
  KeyStream zipf_;
  std::vector<int64_t> one_set_;
  std::vector<int64_t> wide_;
};

}  // namespace strata::testing
