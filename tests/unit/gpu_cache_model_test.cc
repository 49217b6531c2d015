// The GPU cache's reference backend against a brute-force model of the same
// policy (plain structs, written apart from gpu_cache_policy.h's functions;
// only the two hashes are shared, since they define the policy): long random
// operation sequences, checked after every step. Streams: random keys over a
// small range, adversarial (every key in one set, duplicates within a batch,
// INT64_MIN/MAX, 0 and -1), and Zipf.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "engine/common/key_stream.h"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_policy.h"
#include "tests/unit/gpu_cache_keys.h"

namespace strata {
namespace {

namespace gc = gpu_cache;
using testing::KeySource;

constexpr uint32_t kDim = 3;

struct ModelWay {
  bool occupied = false;
  int64_t key = 0;
  uint32_t count = 0;
  std::array<float, kDim> row{};
};

// The policy, spelled out plainly.
class ModelCache {
 public:
  ModelCache(uint64_t capacity_rows, uint64_t decay_period)
      : sets_(std::max<uint64_t>(1, capacity_rows / gc::kWays)),
        width_(gc::SketchWidth(sets_.size() * gc::kWays)),
        sketch_(gc::kSketchDepth * width_, 0),
        decay_period_(decay_period != 0 ? decay_period : 10 * slots()) {}

  uint64_t slots() const { return sets_.size() * gc::kWays; }

  // Returns per key: found, and the row.
  std::vector<std::pair<bool, std::array<float, kDim>>> Query(
      const std::vector<int64_t>& keys) {
    std::vector<std::pair<bool, std::array<float, kDim>>> out;
    for (int64_t k : keys) {
      ModelWay* w = Find(k);
      out.push_back(
          {w != nullptr, w != nullptr ? w->row : std::array<float, kDim>{}});
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (out[i].first) {
        ModelWay* w = Find(keys[i]);
        if (w->count < gc::kMaxCount) ++w->count;
      } else {
        for (uint32_t r = 0; r < gc::kSketchDepth; ++r) {
          uint32_t& c = sketch_[gc::SketchSlot(keys[i], r, width_)];
          if (c < gc::kMaxCount) ++c;
        }
      }
    }
    counted_ += keys.size();
    if (counted_ >= decay_period_) {
      counted_ = 0;
      for (auto& set : sets_) {
        for (ModelWay& w : set) w.count /= 2;
      }
      for (uint32_t& c : sketch_) c /= 2;
    }
    return out;
  }

  void Insert(int64_t key, const std::array<float, kDim>& row) {
    if (ModelWay* w = Find(key)) {
      w->row = row;
      return;
    }
    auto& set = sets_[gc::SetIndex(key, static_cast<uint32_t>(sets_.size()))];
    ModelWay* victim = nullptr;
    for (ModelWay& w : set) {
      if (!w.occupied) {
        victim = &w;
        break;
      }
    }
    if (victim == nullptr) {
      victim = &set[0];
      for (ModelWay& w : set) {
        if (w.count < victim->count) victim = &w;
      }
    }
    uint32_t estimate = std::numeric_limits<uint32_t>::max();
    for (uint32_t r = 0; r < gc::kSketchDepth; ++r) {
      estimate = std::min(estimate, sketch_[gc::SketchSlot(key, r, width_)]);
    }
    if (victim->occupied && estimate <= victim->count) return;  // rejected
    *victim = ModelWay{true, key, estimate, row};
  }

  void UpdateIfPresent(int64_t key, const std::array<float, kDim>& row) {
    if (ModelWay* w = Find(key)) w->row = row;
  }
  void Invalidate(int64_t key) {
    if (ModelWay* w = Find(key)) *w = ModelWay{};
  }

  uint64_t rows() const {
    uint64_t n = 0;
    for (const auto& set : sets_) {
      for (const ModelWay& w : set) n += w.occupied;
    }
    return n;
  }
  std::vector<int64_t> Hottest(size_t n) const {
    std::vector<std::pair<uint32_t, int64_t>> all;
    for (const auto& set : sets_) {
      for (const ModelWay& w : set) {
        if (w.occupied) all.push_back({w.count, w.key});
      }
    }
    std::sort(all.begin(), all.end(), [](auto a, auto b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<int64_t> out;
    for (size_t i = 0; i < all.size() && i < n; ++i)
      out.push_back(all[i].second);
    return out;
  }

 private:
  ModelWay* Find(int64_t key) {
    auto& set = sets_[gc::SetIndex(key, static_cast<uint32_t>(sets_.size()))];
    for (ModelWay& w : set) {
      if (w.occupied && w.key == key) return &w;
    }
    return nullptr;
  }

  std::vector<std::array<ModelWay, gc::kWays>> sets_;
  uint32_t width_;
  std::vector<uint32_t> sketch_;
  uint64_t decay_period_;
  uint64_t counted_ = 0;
};

std::array<float, kDim> RowFor(int64_t key, uint64_t step) {
  return {static_cast<float>(key % 1000), static_cast<float>(step),
          static_cast<float>(key & 7)};
}

void RunModel(const std::string& kind, uint64_t capacity, uint64_t decay,
              int steps, uint64_t seed) {
  GpuCacheOptions o;
  o.dim = kDim;
  o.capacity_rows = capacity;
  o.decay_period = decay;
  auto cache_or = NewReferenceGpuCache(o);
  REQUIRE(cache_or.ok());
  GpuCache& cache = **cache_or;
  ModelCache model(capacity, decay);
  REQUIRE(cache.slots() == model.slots());
  KeySource source(kind, static_cast<uint32_t>(model.slots() / gc::kWays),
                   seed);
  std::mt19937_64 rng(seed * 7 + 1);
  for (int step = 0; step < steps; ++step) {
    const size_t n = 1 + rng() % 24;
    std::vector<int64_t> keys(n);
    for (int64_t& k : keys) k = source.Next();
    if (rng() % 4 == 0) keys.push_back(keys[0]);  // a duplicate in the batch
    const uint32_t op = rng() % 10;
    INFO("stream " << kind << " step " << step << " op " << op);
    if (op < 5) {
      std::vector<float> values(keys.size() * kDim, -7.0f);
      std::vector<size_t> missing;
      REQUIRE(cache.Query(keys, absl::MakeSpan(values), &missing).ok());
      const auto expected = model.Query(keys);
      size_t m = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        const bool miss = m < missing.size() && missing[m] == i;
        REQUIRE(miss == !expected[i].first);
        if (miss) {
          ++m;
          continue;
        }
        for (uint32_t d = 0; d < kDim; ++d) {
          REQUIRE(values[i * kDim + d] == expected[i].second[d]);
        }
      }
      REQUIRE(m == missing.size());
    } else if (op < 8) {
      std::vector<float> values;
      for (int64_t k : keys) {
        const auto row = RowFor(k, step);
        values.insert(values.end(), row.begin(), row.end());
        if (op == 7) {
          model.UpdateIfPresent(k, row);
        } else {
          model.Insert(k, row);
        }
      }
      REQUIRE((op == 7 ? cache.UpdateIfPresent(keys, values)
                       : cache.Insert(keys, values))
                  .ok());
    } else if (op == 8) {
      for (int64_t k : keys) model.Invalidate(k);
      REQUIRE(cache.Invalidate(keys).ok());
    } else {
      REQUIRE(*cache.HottestKeys(16) == model.Hottest(16));
    }
    const GpuCacheStats stats = cache.Stats();
    REQUIRE(stats.rows == model.rows());
    REQUIRE(stats.rows <= cache.slots());
    REQUIRE(stats.bytes == GpuCacheBytes(o));
  }
  // The sequence did exercise replacement, not only free ways.
  const GpuCacheStats end = cache.Stats();
  if (capacity <= 64 && kind != "extremes") {
    CHECK(end.evicted + end.rejected > 0);  // 7 extreme keys always fit
  }
  CHECK(end.hits > 0);
}

TEST_CASE("reference gpu cache matches the brute-force model") {
  for (const char* kind : {"random", "wide", "one set", "extremes", "zipf"}) {
    for (uint64_t capacity : {8, 64, 200}) {
      for (uint64_t decay : {0, 37}) {
        RunModel(kind, capacity, decay, 3000, capacity * 31 + decay);
      }
    }
  }
}

TEST_CASE("gpu cache: every int64 key is legal, none is a sentinel") {
  GpuCacheOptions o;
  o.dim = 1;
  o.capacity_rows = 64;
  auto cache = *NewReferenceGpuCache(o);
  const std::vector<int64_t> keys = {std::numeric_limits<int64_t>::min(), -1, 0,
                                     std::numeric_limits<int64_t>::max()};
  std::vector<float> out(keys.size());
  std::vector<size_t> missing;
  REQUIRE(cache->Query(keys, absl::MakeSpan(out), &missing).ok());
  CHECK(missing.size() == 4);  // nothing is "present" in an empty cache
  REQUIRE(cache->Insert(keys, std::vector<float>{1, 2, 3, 4}).ok());
  missing.clear();
  REQUIRE(cache->Query(keys, absl::MakeSpan(out), &missing).ok());
  CHECK(missing.empty());
  CHECK(out == std::vector<float>{1, 2, 3, 4});
  CHECK(cache->Stats().rows == 4);
}

TEST_CASE("gpu cache: bad sizes are errors, not crashes") {
  GpuCacheOptions o;
  o.dim = 2;
  CHECK(NewReferenceGpuCache(o).status().code() ==
        absl::StatusCode::kInvalidArgument);  // no capacity
  o.capacity_rows = 16;
  auto cache = *NewReferenceGpuCache(o);
  std::vector<float> out(3);
  std::vector<size_t> missing;
  CHECK(cache->Query(std::vector<int64_t>{1, 2}, absl::MakeSpan(out), &missing)
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(cache->Insert(std::vector<int64_t>{1}, std::vector<float>{1}).code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata
