// Model-based randomized tests of HashMapPartition and HashMapTier: long
// random sequences of insert, upsert, erase, eviction and lookup, checked
// against a plain std::unordered_map after every step. Sizes rise and fall
// in waves so that rows cross slab boundaries in both directions (erasing
// below a boundary, then inserting again, is what corrupted the heap in
// issue 9). Runs under ASan+UBSan in CI.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/common/random.h"
#include "engine/store/hash_map/hash_map_partition.h"
#include "engine/store/hash_map/hash_map_tier.h"

namespace strata {
namespace {

// A deterministic stream of random numbers for one test run.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_++); }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }

 private:
  uint64_t state_;
};

// The size the sequence steers towards: it moves in waves between 0 and
// `peak`, so growth and shrinkage both cross many slab boundaries.
class SizeWave {
 public:
  SizeWave(uint64_t peak, Rng* rng) : peak_(peak), rng_(rng) { Retarget(); }
  // True when the next step should add rows rather than remove them.
  bool Grow(uint64_t size) {
    if (size == target_) Retarget();
    return size < target_;
  }

 private:
  void Retarget() { target_ = rng_->Below(peak_ + 1); }
  uint64_t peak_;
  Rng* rng_;
  uint64_t target_ = 0;
};

// Keys drawn from a range a few times the peak size, negative ones and the
// extremes included: every int64 is a legal key.
int64_t DrawKey(Rng& rng, uint64_t range) {
  const uint64_t r = rng.Below(range + 2);
  if (r == range) return INT64_MIN;
  if (r == range + 1) return INT64_MAX;
  return static_cast<int64_t>(r) - static_cast<int64_t>(range / 2);
}

// ---------------------------------------------------------------------------
// HashMapPartition

struct PartitionCase {
  uint32_t value_bytes;
  bool with_stamp;
  uint64_t slab_bytes;
  uint64_t peak_rows;
};

std::vector<std::byte> RowBytes(int64_t key, uint32_t version, uint32_t n) {
  std::vector<std::byte> row(n);
  for (uint32_t j = 0; j < n; ++j) {
    row[j] = static_cast<std::byte>(
        Mix64(static_cast<uint64_t>(key) * 131 + version * 7 + j));
  }
  return row;
}

// Every reference row is found with its bytes, and every row id below size()
// holds a reference key: rows stay dense.
void CheckPartition(
    const HashMapPartition& part,
    const std::unordered_map<int64_t, std::vector<std::byte>>& model,
    uint32_t value_bytes) {
  REQUIRE(part.size() == model.size());
  for (const auto& [key, bytes] : model) {
    const uint32_t row = part.Find(key, HashMapPartition::HashKey(key));
    REQUIRE(row != HashMapPartition::kNoRow);
    REQUIRE(row < part.size());
    REQUIRE(part.RowKey(row) == key);
    REQUIRE(std::memcmp(part.RowValues(row), bytes.data(), value_bytes) == 0);
  }
  for (uint32_t row = 0; row < part.size(); ++row) {
    REQUIRE(model.count(part.RowKey(row)) == 1);
  }
}

TEST_CASE("HashMapPartition matches a reference map under random operations",
          "[hash_map][model]") {
  const PartitionCase c = GENERATE(
      PartitionCase{32, false, 1000, 2000},     // 25 rows per slab
      PartitionCase{16, true, 4096, 3000},      // stamps; 146 rows per slab
      PartitionCase{256, false, 70000, 1500},   // slabs that grow by quarters
      PartitionCase{4, false, 1 << 20, 5000});  // one slab, never full
  CAPTURE(c.value_bytes, c.with_stamp, c.slab_bytes, c.peak_rows);
  HashMapPartition part(c.value_bytes, c.with_stamp, c.slab_bytes);
  std::unordered_map<int64_t, std::vector<std::byte>> model;
  std::vector<int64_t> keys;  // the model's keys, for drawing a resident one
  Rng rng(c.value_bytes * 1000 + c.slab_bytes);
  SizeWave wave(c.peak_rows, &rng);
  uint32_t version = 0;
  constexpr int kSteps = 40000;
  for (int step = 0; step < kSteps; ++step) {
    CAPTURE(step, part.size());
    const uint64_t op = rng.Below(10);
    if (op < 6) {
      // Insert (or overwrite) a key; grow or shrink towards the wave.
      if (wave.Grow(model.size())) {
        const int64_t key = DrawKey(rng, 4 * c.peak_rows);
        const uint64_t hash = HashMapPartition::HashKey(key);
        uint32_t row = part.Find(key, hash);
        if (row == HashMapPartition::kNoRow) {
          row = part.Insert(key, hash);
          keys.push_back(key);
        }
        REQUIRE(part.RowKey(row) == key);
        auto bytes = RowBytes(key, ++version, c.value_bytes);
        std::memcpy(part.RowValues(row), bytes.data(), c.value_bytes);
        model[key] = std::move(bytes);
      } else if (!keys.empty()) {
        // Erase a resident key (the eviction path: EraseRow by row id).
        const size_t at = rng.Below(keys.size());
        const int64_t key = keys[at];
        keys[at] = keys.back();
        keys.pop_back();
        const uint32_t row = part.Find(key, HashMapPartition::HashKey(key));
        REQUIRE(row != HashMapPartition::kNoRow);
        part.EraseRow(row);
        model.erase(key);
      }
    } else if (op < 7 && !keys.empty()) {
      // Evict a uniformly random row id, as sampled eviction does.
      const uint32_t row = static_cast<uint32_t>(rng.Below(part.size()));
      const int64_t key = part.RowKey(row);
      part.EraseRow(row);
      REQUIRE(model.erase(key) == 1);
      for (size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == key) {
          keys[i] = keys.back();
          keys.pop_back();
          break;
        }
      }
    } else {
      // Look up a random key, present or not.
      const int64_t key = DrawKey(rng, 4 * c.peak_rows);
      const uint32_t row = part.Find(key, HashMapPartition::HashKey(key));
      const auto it = model.find(key);
      REQUIRE((row != HashMapPartition::kNoRow) == (it != model.end()));
      if (it != model.end()) {
        REQUIRE(std::memcmp(part.RowValues(row), it->second.data(),
                            c.value_bytes) == 0);
      }
    }
    REQUIRE(part.size() == model.size());
    if (step % 997 == 0) CheckPartition(part, model, c.value_bytes);
  }
  CheckPartition(part, model, c.value_bytes);
}

TEST_CASE("HashMapPartition releases memory after a mass erase",
          "[hash_map][model]") {
  // 100 rows per slab; 20,000 rows, then 90 % erased.
  constexpr uint32_t kValueBytes = 32;
  HashMapPartition part(kValueBytes, false, 100 * 40);
  constexpr int64_t kRows = 20000;
  for (int64_t k = 0; k < kRows; ++k) {
    part.Insert(k, HashMapPartition::HashKey(k));
  }
  const uint64_t full = part.bytes();
  for (int64_t k = 0; k < kRows; ++k) {
    if (k % 10 == 0) continue;
    const uint32_t row = part.Find(k, HashMapPartition::HashKey(k));
    REQUIRE(row != HashMapPartition::kNoRow);
    part.EraseRow(row);
  }
  REQUIRE(part.size() == kRows / 10);
  // Slabs past the live rows and the oversized index are released: what is
  // left is close to a table built with a tenth of the rows.
  HashMapPartition fresh(kValueBytes, false, 100 * 40);
  for (int64_t k = 0; k < kRows / 10; ++k) {
    fresh.Insert(k, HashMapPartition::HashKey(k));
  }
  CHECK(part.bytes() < full / 5);
  CHECK(part.bytes() <= fresh.bytes() * 3 / 2);
  // The released memory is allocated again on demand.
  for (int64_t k = kRows; k < 2 * kRows; ++k) {
    part.Insert(k, HashMapPartition::HashKey(k));
  }
  REQUIRE(part.size() == kRows + kRows / 10);
  for (int64_t k = kRows; k < 2 * kRows; k += 7) {
    REQUIRE(part.Find(k, HashMapPartition::HashKey(k)) !=
            HashMapPartition::kNoRow);
  }
}

// ---------------------------------------------------------------------------
// HashMapTier

constexpr uint32_t kDim = 8;

// Values exact in fp16 and fp32 alike: multiples of 1/8 below 256.
void FillRow(int64_t key, uint32_t version, float* row) {
  for (uint32_t j = 0; j < kDim; ++j) {
    row[j] =
        static_cast<float>(
            Mix64(static_cast<uint64_t>(key) * 31 + version * 17 + j) % 2048) /
        8.0f;
  }
}

struct TierCase {
  std::string policy;
  std::string dtype;
  uint64_t capacity_rows;  // 0: unbounded
};

TEST_CASE("HashMapTier matches a reference map under random operations",
          "[hash_map][model]") {
  const TierCase c = GENERATE(
      TierCase{"frequency", "fp32", 0}, TierCase{"frequency", "fp16", 0},
      TierCase{"frequency", "fp32", 600}, TierCase{"lfu", "fp32", 600},
      TierCase{"lru", "fp32", 600}, TierCase{"random", "fp16", 600},
      TierCase{"lru", "fp16", 1500});
  CAPTURE(c.policy, c.dtype, c.capacity_rows);
  HashMapTierOptions options;
  options.policy = c.policy;
  options.value_dtype = c.dtype;
  options.partitions = 2;
  options.slab_bytes = 4096;  // about 100-170 rows per slab
  const uint64_t row_bytes = 8 + kDim * (c.dtype == "fp16" ? 2 : 4);
  options.capacity_bytes = c.capacity_rows * row_bytes;
  auto made = NewHashMapTier(kDim, options);
  REQUIRE(made.ok());
  Tier& tier = **made;
  const bool bounded = c.capacity_rows != 0;
  const uint64_t peak = bounded ? 2 * c.capacity_rows : 3000;

  // The reference holds every row upserted and not erased; a bounded tier
  // holds a subset of it, each row at its newest value.
  std::unordered_map<int64_t, std::vector<float>> model;
  Rng rng(std::hash<std::string>{}(c.policy + c.dtype) + c.capacity_rows);
  SizeWave wave(peak, &rng);
  uint32_t version = 0;
  std::vector<int64_t> keys;
  std::vector<float> values;
  std::vector<size_t> missing;
  constexpr int kSteps = 6000;
  for (int step = 0; step < kSteps; ++step) {
    CAPTURE(step);
    const uint64_t n = 1 + rng.Below(48);
    keys.clear();
    const bool grow = wave.Grow(model.size());
    for (uint64_t i = 0; i < n; ++i) {
      // Shrinking steps mostly erase keys that are present.
      if (!grow && !model.empty() && rng.Below(4) != 0) {
        auto it = model.begin();
        std::advance(it, rng.Below(std::min<size_t>(model.size(), 16)));
        keys.push_back(it->first);
      } else {
        keys.push_back(DrawKey(rng, 3 * peak));
      }
    }
    const uint64_t op = rng.Below(10);
    if (op < 4 && grow) {
      // Upsert (a batch may name a key twice: the later row wins).
      values.assign(keys.size() * kDim, 0);
      for (size_t i = 0; i < keys.size(); ++i) {
        FillRow(keys[i], ++version, &values[i * kDim]);
      }
      REQUIRE(tier.Upsert(keys, values).ok());
      for (size_t i = 0; i < keys.size(); ++i) {
        model[keys[i]].assign(&values[i * kDim], &values[(i + 1) * kDim]);
      }
    } else if (op < 4) {
      REQUIRE(tier.Erase(keys).ok());
      for (int64_t k : keys) model.erase(k);
    } else {
      values.assign(keys.size() * kDim, -1.0f);
      missing.clear();
      REQUIRE(tier.Lookup(keys, absl::MakeSpan(values), &missing).ok());
      size_t m = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        const auto it = model.find(keys[i]);
        if (m < missing.size() && missing[m] == i) {
          ++m;
          // A bounded tier may have evicted it; an unbounded one never does.
          if (!bounded) REQUIRE(it == model.end());
          continue;
        }
        REQUIRE(it != model.end());
        for (uint32_t j = 0; j < kDim; ++j) {
          REQUIRE(values[i * kDim + j] == it->second[j]);
        }
      }
      REQUIRE(m == missing.size());
    }
    const TierStats stats = tier.Stats();
    if (bounded) {
      REQUIRE(stats.rows <= c.capacity_rows);
      REQUIRE(stats.rows <= model.size());
    } else {
      REQUIRE(stats.rows == model.size());
    }
    REQUIRE(stats.bytes >= stats.rows * row_bytes);
  }
}

}  // namespace
}  // namespace strata
