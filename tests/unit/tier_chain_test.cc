#include "engine/store/tier_chain.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "engine/batch/gpu_cache_tier.h"
#include "engine/store/hash_map/hash_map_tier.h"
#include "tests/unit/fault_tiers.h"

namespace strata {
namespace {

std::unique_ptr<Tier> HashMap(uint32_t dim) {
  return std::move(NewHashMapTier(dim, HashMapTierOptions())).value();
}

}  // namespace

TEST_CASE("TierChain reads through, fills upward, defaults the rest",
          "[chain]") {
  constexpr uint32_t kDim = 2;
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMap(kDim));
  tiers.push_back(HashMap(kDim));
  Tier* top = tiers[0].get();
  Tier* bottom = tiers[1].get();
  REQUIRE(top->Upsert({1}, {1.0f, 1.5f}).ok());
  REQUIRE(bottom->Upsert({2, 3}, {2.0f, 2.5f, 3.0f, 3.5f}).ok());
  TierChain chain(std::move(tiers), /*default_value=*/-1.0f);

  std::vector<int64_t> keys = {3, 1, 4, 2};
  std::vector<float> values(keys.size() * kDim);
  std::vector<size_t> defaulted;
  REQUIRE(chain.Lookup(keys, absl::MakeSpan(values), &defaulted).ok());
  CHECK(values ==
        std::vector<float>{3.0f, 3.5f, 1.0f, 1.5f, -1.0f, -1.0f, 2.0f, 2.5f});
  CHECK(defaulted == std::vector<size_t>{2});

  // Rows found below were filled into the top tier.
  std::vector<int64_t> filled = {2, 3};
  std::vector<float> row(filled.size() * kDim);
  std::vector<size_t> missing;
  REQUIRE(top->Lookup(filled, absl::MakeSpan(row), &missing).ok());
  CHECK(missing.empty());
  CHECK(row == std::vector<float>{2.0f, 2.5f, 3.0f, 3.5f});
}

TEST_CASE("TierChain with one tier defaults what it lacks", "[chain]") {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(HashMap(1));
  TierChain chain(std::move(tiers), 0.0f);
  std::vector<float> values(3, 9.0f);
  std::vector<size_t> defaulted;
  REQUIRE(chain.Lookup({1, 2, 3}, absl::MakeSpan(values), &defaulted).ok());
  CHECK(defaulted == std::vector<size_t>{0, 1, 2});
  CHECK(values == std::vector<float>{0.0f, 0.0f, 0.0f});
}

}  // namespace strata

namespace strata {

TEST_CASE(
    "LookupParts reads each key tier 1 missed from below once, across "
    "parts",
    "[chain]") {
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(std::move(NewHashMapTier(1, HashMapTierOptions())).value());
  tiers.push_back(std::move(NewHashMapTier(1, HashMapTierOptions())).value());
  Tier* bottom = tiers[1].get();
  REQUIRE(bottom->Upsert({5, 6, 7}, {50.0f, 60.0f, 70.0f}).ok());
  REQUIRE(tiers[0]->Upsert({1}, {10.0f}).ok());
  TierChain chain(std::move(tiers), -1.0f);

  std::vector<int64_t> a_keys = {5, 6, 5, 1}, b_keys = {5, 9, 7};
  std::vector<float> a(4), b(3);
  std::vector<size_t> a_def, b_def;
  std::vector<ChainPart> parts = {{a_keys, absl::MakeSpan(a), &a_def},
                                  {b_keys, absl::MakeSpan(b), &b_def}};
  const uint64_t before = bottom->Stats().lookups;
  REQUIRE(chain.LookupParts(absl::MakeSpan(parts)).ok());
  CHECK(bottom->Stats().lookups - before == 4);  // 5, 6, 9, 7 once each
  CHECK(a == std::vector<float>{50.0f, 60.0f, 50.0f, 10.0f});
  CHECK(b == std::vector<float>{50.0f, -1.0f, 70.0f});
  CHECK(a_def.empty());
  CHECK(b_def == std::vector<size_t>{1});
}

}  // namespace strata

namespace strata::testing {

TEST_CASE("LookupParts reads a remote tier 1 once for every part", "[chain]") {
  auto remote = std::make_unique<RemoteTier>(
      std::move(NewHashMapTier(1, HashMapTierOptions())).value());
  RemoteTier* top = remote.get();
  REQUIRE(top->Upsert({1, 2}, {10.0f, 20.0f}).ok());
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(std::move(remote));
  tiers.push_back(std::move(NewHashMapTier(1, HashMapTierOptions())).value());
  REQUIRE(tiers[1]->Upsert({3}, {30.0f}).ok());
  TierChain chain(std::move(tiers), -1.0f);

  std::vector<int64_t> a_keys = {1, 3, 9}, b_keys = {2, 1, 3};
  std::vector<float> a(3), b(3);
  std::vector<size_t> a_def, b_def;
  std::vector<ChainPart> parts = {{a_keys, absl::MakeSpan(a), &a_def},
                                  {b_keys, absl::MakeSpan(b), &b_def}};
  REQUIRE(chain.LookupParts(absl::MakeSpan(parts)).ok());
  CHECK(top->calls == 1);
  CHECK(a == std::vector<float>{10.0f, 30.0f, -1.0f});
  CHECK(b == std::vector<float>{20.0f, 10.0f, 30.0f});
  CHECK(a_def == std::vector<size_t>{2});
  CHECK(b_def.empty());
}

}  // namespace strata::testing

namespace strata::testing {

TEST_CASE(
    "a row read from below just before an update never lands in tier 1 "
    "after that update's invalidation",
    "[chain]") {
  constexpr uint32_t kDim = 2;
  // Either cache as tier 1: the hash map, or the GPU cache (reference).
  const std::string top_kind = GENERATE("hash_map", "gpu_cache");
  INFO("tier 1: " << top_kind);
  std::vector<std::unique_ptr<Tier>> tiers;
  if (top_kind == "hash_map") {
    tiers.push_back(
        std::move(NewHashMapTier(kDim, HashMapTierOptions())).value());
  } else {
    GpuCacheOptions o;
    o.dim = kDim;
    o.capacity_rows = 64;
    tiers.push_back(std::make_unique<GpuCacheTier>(
        std::move(NewReferenceGpuCache(o)).value()));
  }
  auto held = std::make_unique<HoldAfterReadTier>(
      std::move(NewHashMapTier(kDim, HashMapTierOptions())).value());
  HoldAfterReadTier* bottom = held.get();
  REQUIRE(bottom->base().Upsert({5}, {1.0f, 1.0f}).ok());
  tiers.push_back(std::move(held));
  Tier* top = tiers[0].get();
  TierChain chain(std::move(tiers), -1.0f);

  std::vector<float> first(kDim);
  std::vector<size_t> defaulted;
  absl::Status first_status;
  std::thread reader([&] {
    first_status = chain.Lookup({5}, absl::MakeSpan(first), &defaulted);
  });
  bottom->WaitEntered();  // the old row is read; tier 1 not filled yet
  // An update as the Applier makes it: the authoritative tier, then the
  // invalidation of every cache tier.
  REQUIRE(bottom->base().Upsert({5}, {2.0f, 2.0f}).ok());
  REQUIRE(top->Erase({5}).ok());
  bottom->Open();
  reader.join();
  REQUIRE(first_status.ok());
  // That lookup began before the update: the old row is its right answer.
  CHECK(first == std::vector<float>{1.0f, 1.0f});
  // But tier 1 must not keep it: every later lookup sees the update.
  std::vector<float> row(kDim);
  std::vector<size_t> missing;
  REQUIRE(top->Lookup({5}, absl::MakeSpan(row), &missing).ok());
  CHECK(missing == std::vector<size_t>{0});
  REQUIRE(chain.Lookup({5}, absl::MakeSpan(row), &defaulted).ok());
  CHECK(row == std::vector<float>{2.0f, 2.0f});
}

}  // namespace strata::testing
