// HashMapTier under concurrent lookups, upserts, erases and evictions. Every
// row is self-describing — [key, version, f(key, version, j)...] — so a
// reader can tell a torn row (parts of two versions) or another key's row
// from a good one without knowing what was written when. Runs under
// ThreadSanitizer in CI (tag [concurrency]).
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/random.h"
#include "engine/store/hash_map/hash_map_tier.h"

namespace strata {
namespace {

constexpr uint32_t kDim = 16;

// Integers below 2^11 are exact in fp16 and fp32 alike.
float Cell(int64_t key, uint32_t version, uint32_t j) {
  return static_cast<float>((key * 31 + version * 17 + j * 5) & 0x7ff);
}

void WriteRow(int64_t key, uint32_t version, float* row) {
  row[0] = static_cast<float>(key);
  row[1] = static_cast<float>(version);
  for (uint32_t j = 2; j < kDim; ++j) row[j] = Cell(key, version, j);
}

// Empty when `row` is a whole row written for `key`; else what is wrong.
std::string CheckRow(int64_t key, const float* row, uint32_t max_version) {
  if (row[0] != static_cast<float>(key)) return "another key's row";
  const float v = row[1];
  if (v < 0 || v > max_version || v != static_cast<float>(uint32_t(v))) {
    return "a version never written";
  }
  for (uint32_t j = 2; j < kDim; ++j) {
    if (row[j] != Cell(key, static_cast<uint32_t>(v), j)) return "a torn row";
  }
  return "";
}

void Stress(const HashMapTierOptions& options, int64_t keys_in_use) {
  constexpr int kWriters = 2, kReaders = 2, kBatches = 1500, kBatch = 64;
  // Versions wrap below 2^11 so that they, too, are exact in fp16.
  constexpr uint32_t kMaxVersion = 2047;
  auto tier_or = NewHashMapTier(kDim, options);
  REQUIRE(tier_or.ok());
  Tier& tier = **tier_or;
  std::atomic<uint64_t> bad{0}, found{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::vector<int64_t> keys(kBatch);
      std::vector<float> values(kBatch * kDim);
      for (int b = 0; b < kBatches; ++b) {
        const uint32_t version =
            static_cast<uint32_t>(b * kWriters + w) % (kMaxVersion + 1);
        for (int i = 0; i < kBatch; ++i) {
          keys[i] =
              static_cast<int64_t>(Mix64(version * kBatch + i) % keys_in_use);
          WriteRow(keys[i], version, &values[i * kDim]);
        }
        if (!tier.Upsert(keys, values).ok()) failed = true;
        if (b % 8 == 0 && !tier.Erase({keys[0], keys[1]}).ok()) failed = true;
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::vector<int64_t> keys(kBatch);
      std::vector<float> values(kBatch * kDim);
      std::vector<size_t> missing;
      for (int b = 0; b < kBatches * 2; ++b) {
        for (int i = 0; i < kBatch; ++i) {
          keys[i] = static_cast<int64_t>(
              Mix64(~uint64_t(r) * 977 + b * kBatch + i) % keys_in_use);
        }
        missing.clear();
        if (!tier.Lookup(keys, absl::MakeSpan(values), &missing).ok()) {
          failed = true;
        }
        size_t m = 0;
        for (int i = 0; i < kBatch; ++i) {
          if (m < missing.size() && missing[m] == size_t(i)) {
            ++m;
            continue;
          }
          found.fetch_add(1, std::memory_order_relaxed);
          if (!CheckRow(keys[i], &values[i * kDim], kMaxVersion).empty()) {
            bad.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK_FALSE(failed);
  CHECK(bad == 0);
  CHECK(found > 0);
  if (options.capacity_bytes != 0) {
    CHECK(tier.Stats().rows *
              (8 + kDim * (options.value_dtype == "fp16" ? 2 : 4)) <=
          options.capacity_bytes);
  }
}

TEST_CASE("Concurrent lookups never see torn or foreign rows",
          "[hash_map][concurrency]") {
  for (const char* policy : {"frequency", "lfu", "lru", "random"}) {
    for (const char* dtype : {"fp32", "fp16"}) {
      DYNAMIC_SECTION(policy << " " << dtype) {
        HashMapTierOptions o;
        o.policy = policy;
        o.value_dtype = dtype;
        o.partitions = 4;
        // Room for a quarter of the keys in use: constant eviction.
        o.capacity_bytes = 256 * (8 + kDim * (o.value_dtype == "fp16" ? 2 : 4));
        Stress(o, 1024);
      }
    }
  }
  SECTION("unbounded") { Stress(HashMapTierOptions(), 1024); }
}

}  // namespace
}  // namespace strata
