// The Tier contract: the behaviour every Tier implementation must show,
// written once as Catch2 sections so that each implementation's test runs
// it (tier_contract_test.cc for in-process tiers, the Redis Cluster tier's
// integration test against a real cluster).
//
// Call RunTierContract() inside a TEST_CASE (or a SECTION). `make` is called
// once per section and must return a fresh, empty tier each time (tiers on a
// shared service use a unique table per call).
// Thread safety: Catch2 is single-threaded; call from the test thread.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "tests/unit/tier_makers.h"

namespace strata::testing {
namespace tier_contract {

constexpr uint32_t kDim = 4;

inline std::vector<float> RowsFor(const std::vector<int64_t>& keys,
                                  float salt) {
  std::vector<float> v;
  for (int64_t k : keys) {
    for (uint32_t j = 0; j < kDim; ++j) {
      // Exact in fp16 too (|v| < 1024 in steps of 0.5, or integers < 2048),
      // so the fp16 hash map is held to exact equality.
      v.push_back(static_cast<float>(k % 1000) + 1.0f * j + salt);
    }
  }
  return v;
}

}  // namespace tier_contract

inline void RunTierContract(
    const std::function<std::unique_ptr<TierHolder>(uint32_t dim)>& make) {
  using tier_contract::kDim;
  using tier_contract::RowsFor;
  auto holder = make(kDim);
  Tier& tier = holder->tier();
  REQUIRE(tier.dim() == kDim);
  REQUIRE_FALSE(tier.name().empty());

  SECTION("an empty tier reports every key missing, values untouched") {
    std::vector<int64_t> keys = {1, 2, 3};
    std::vector<float> values(keys.size() * kDim, -7.0f);
    std::vector<size_t> missing;
    REQUIRE(tier.Lookup(keys, absl::MakeSpan(values), &missing).ok());
    CHECK(missing == std::vector<size_t>{0, 1, 2});
    CHECK(values == std::vector<float>(keys.size() * kDim, -7.0f));
  }

  SECTION("upserted rows come back exactly; absent keys are reported") {
    const int64_t kMin = std::numeric_limits<int64_t>::min();
    const int64_t kMax = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> stored = {5, -9, kMin, kMax, 0};
    std::vector<float> rows = RowsFor(stored, 0.5f);
    REQUIRE(tier.Upsert(stored, rows).ok());

    std::vector<int64_t> keys = {42, kMax, 5, -5, kMin, 0, -9, 5};
    std::vector<float> values(keys.size() * kDim, -1.0f);
    std::vector<size_t> missing;
    REQUIRE(tier.Lookup(keys, absl::MakeSpan(values), &missing).ok());
    CHECK(missing == std::vector<size_t>{0, 3});
    for (size_t i : {1, 2, 4, 5, 6, 7}) {
      std::vector<float> expect = RowsFor({keys[i]}, 0.5f);
      std::vector<float> got(values.begin() + i * kDim,
                             values.begin() + (i + 1) * kDim);
      CHECK(got == expect);
    }
    // Rows of missing keys are left untouched.
    CHECK(values[0] == -1.0f);
    CHECK(values[3 * kDim + kDim - 1] == -1.0f);
  }

  SECTION("an upsert overwrites") {
    std::vector<int64_t> keys = {7, 8};
    REQUIRE(tier.Upsert(keys, RowsFor(keys, 0.0f)).ok());
    REQUIRE(tier.Upsert({7}, RowsFor({7}, 100.0f)).ok());
    std::vector<float> values(keys.size() * kDim);
    std::vector<size_t> missing;
    REQUIRE(tier.Lookup(keys, absl::MakeSpan(values), &missing).ok());
    CHECK(missing.empty());
    CHECK(values[0] == RowsFor({7}, 100.0f)[0]);
    CHECK(values[kDim] == RowsFor({8}, 0.0f)[0]);
  }

  SECTION("erase removes rows and ignores absent keys") {
    std::vector<int64_t> keys = {1, 2, 3};
    REQUIRE(tier.Upsert(keys, RowsFor(keys, 0.0f)).ok());
    REQUIRE(tier.Erase({2, 99}).ok());
    std::vector<float> values(keys.size() * kDim);
    std::vector<size_t> missing;
    REQUIRE(tier.Lookup(keys, absl::MakeSpan(values), &missing).ok());
    CHECK(missing == std::vector<size_t>{1});
  }

  SECTION("empty batches are valid") {
    std::vector<size_t> missing;
    CHECK(tier.Lookup({}, {}, &missing).ok());
    CHECK(missing.empty());
    CHECK(tier.Upsert({}, {}).ok());
    CHECK(tier.Erase({}).ok());
  }

  SECTION("stats count lookups and hits") {
    std::vector<int64_t> keys = {10, 11};
    REQUIRE(tier.Upsert(keys, RowsFor(keys, 0.0f)).ok());
    TierStats before = tier.Stats();
    std::vector<int64_t> asked = {10, 11, 12};
    std::vector<float> values(asked.size() * kDim);
    std::vector<size_t> missing;
    REQUIRE(tier.Lookup(asked, absl::MakeSpan(values), &missing).ok());
    TierStats after = tier.Stats();
    CHECK(after.lookups - before.lookups == 3);
    CHECK(after.hits - before.hits == 2);
  }
}

}  // namespace strata::testing
