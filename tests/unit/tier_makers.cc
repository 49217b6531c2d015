#include "tests/unit/tier_makers.h"

#include <stdexcept>

#include "engine/batch/gpu_cache_tier.h"
#include "engine/store/hash_map/hash_map_tier.h"
#include "engine/store/rocksdb/rocksdb_store.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

class OwnedTier final : public TierHolder {
 public:
  explicit OwnedTier(std::unique_ptr<Tier> tier) : tier_(std::move(tier)) {}
  Tier& tier() override { return *tier_; }

 private:
  std::unique_ptr<Tier> tier_;
};

class RocksDbHolder final : public TierHolder {
 public:
  explicit RocksDbHolder(uint32_t dim) {
    auto store = RocksDbStore::Open(dir_.path(), RocksDbStoreOptions());
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(*store);
    absl::Status created = store_->CreateTable("contract@1/t");
    if (!created.ok()) throw std::runtime_error(created.ToString());
    tier_ = std::move(*store_->NewTier("contract@1/t", dim));
  }
  Tier& tier() override { return *tier_; }

 private:
  TempDir dir_;
  std::unique_ptr<RocksDbStore> store_;
  std::unique_ptr<Tier> tier_;
};

std::unique_ptr<TierHolder> MakeHashMap(uint32_t dim,
                                        const HashMapTierOptions& options) {
  auto tier = NewHashMapTier(dim, options);
  if (!tier.ok()) throw std::runtime_error(tier.status().ToString());
  return std::make_unique<OwnedTier>(std::move(*tier));
}

// A hash map with a capacity far above what the cases write, so the
// contract holds whatever the eviction policy.
TierMaker BoundedHashMap(const std::string& name, const std::string& policy) {
  return {name, [policy](uint32_t dim) {
            HashMapTierOptions o;
            o.capacity_bytes = 64ull << 20;
            o.policy = policy;
            return MakeHashMap(dim, o);
          }};
}

}  // namespace

std::vector<TierMaker> AllTierMakers() {
  return {
      {"hash_map",
       [](uint32_t dim) { return MakeHashMap(dim, HashMapTierOptions()); }},
      BoundedHashMap("hash_map bounded", "frequency"),
      BoundedHashMap("hash_map lfu", "lfu"),
      BoundedHashMap("hash_map lru", "lru"),
      BoundedHashMap("hash_map random", "random"),
      // The contract's values are exact in half precision, so an fp16 tier
      // must return them bit for bit.
      {"hash_map fp16",
       [](uint32_t dim) {
         HashMapTierOptions o;
         o.value_dtype = "fp16";
         return MakeHashMap(dim, o);
       }},
      {"rocksdb",
       [](uint32_t dim) { return std::make_unique<RocksDbHolder>(dim); }},
      // The GPU cache's reference backend, far larger than the cases write,
      // so every insert finds a free way.
      {"gpu_cache reference",
       [](uint32_t dim) {
         GpuCacheOptions o;
         o.dim = dim;
         o.capacity_rows = 1 << 16;
         return std::make_unique<OwnedTier>(
             std::make_unique<GpuCacheTier>(*NewReferenceGpuCache(o)));
       }},
  };
}

}  // namespace strata::testing
