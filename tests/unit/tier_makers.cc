#include "tests/unit/tier_makers.h"

#include <stdexcept>

#include "engine/model/model_store.h"
#include "engine/store/hash_map_tier.h"
#include "engine/store/rocksdb_tier.h"
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
    auto store = ModelStore::Open(dir_.path(), ModelStoreOptions());
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(*store);
    auto cf = store_->CreateColumnFamily("contract@1/t");
    if (!cf.ok()) throw std::runtime_error(cf.status().ToString());
    tier_ = NewRocksDbTier(store_->db(), *cf, dim);
  }
  Tier& tier() override { return *tier_; }

 private:
  TempDir dir_;
  std::unique_ptr<ModelStore> store_;
  std::unique_ptr<Tier> tier_;
};

std::unique_ptr<TierHolder> MakeHashMap(uint32_t dim,
                                        const HashMapTierOptions& options) {
  auto tier = NewHashMapTier(dim, options);
  if (!tier.ok()) throw std::runtime_error(tier.status().ToString());
  return std::make_unique<OwnedTier>(std::move(*tier));
}

}  // namespace

std::vector<TierMaker> AllTierMakers() {
  return {
      {"hash_map",
       [](uint32_t dim) { return MakeHashMap(dim, HashMapTierOptions()); }},
      {"hash_map bounded",
       [](uint32_t dim) {
         HashMapTierOptions o;
         o.capacity_bytes = 64ull << 20;  // far above what the cases write
         return MakeHashMap(dim, o);
       }},
      {"hash_map lfu",
       [](uint32_t dim) {
         HashMapTierOptions o;
         o.capacity_bytes = 64ull << 20;
         o.policy = "lfu";
         return MakeHashMap(dim, o);
       }},
      {"hash_map lru",
       [](uint32_t dim) {
         HashMapTierOptions o;
         o.capacity_bytes = 64ull << 20;
         o.policy = "lru";
         return MakeHashMap(dim, o);
       }},
      {"hash_map random",
       [](uint32_t dim) {
         HashMapTierOptions o;
         o.capacity_bytes = 64ull << 20;
         o.policy = "random";
         return MakeHashMap(dim, o);
       }},
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
  };
}

}  // namespace strata::testing
