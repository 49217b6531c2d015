#include "engine/store/hash_map_tier.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace strata {

absl::Status HashMapTierOptions::Validate() const {
  if (partitions == 0 || partitions > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("hash map partitions must be in [1, 4096], got ",
                     partitions));
  }
  return absl::OkStatus();
}

namespace {

class HashMapTier final : public Tier {
 public:
  HashMapTier(uint32_t dim, const HashMapTierOptions& options)
      : dim_(dim),
        row_bytes_(sizeof(int64_t) + sizeof(float) * dim),
        partitions_(std::bit_ceil(options.partitions)) {
    uint64_t rows = options.capacity_bytes / row_bytes_;
    rows_per_partition_ =
        options.capacity_bytes == 0
            ? 0
            : std::max<uint64_t>(1, rows / partitions_.size());
  }

  const std::string& name() const override { return name_; }
  uint32_t dim() const override { return dim_; }

  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    uint64_t hits = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      Partition& p = PartitionOf(keys[i]);
      std::shared_lock lock(p.mu);
      auto it = p.rows.find(keys[i]);
      if (it == p.rows.end()) {
        missing->push_back(i);
        continue;
      }
      std::memcpy(&values[i * dim_], it->second.data(), dim_ * sizeof(float));
      ++hits;
    }
    lookups_.fetch_add(keys.size(), std::memory_order_relaxed);
    hits_.fetch_add(hits, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    for (size_t i = 0; i < keys.size(); ++i) {
      Partition& p = PartitionOf(keys[i]);
      std::unique_lock lock(p.mu);
      auto [it, inserted] = p.rows.try_emplace(keys[i]);
      it->second.assign(&values[i * dim_], &values[i * dim_] + dim_);
      if (inserted && rows_per_partition_ != 0 &&
          p.rows.size() > rows_per_partition_) {
        EvictOne(p, keys[i]);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Erase(absl::Span<const int64_t> keys) override {
    for (int64_t key : keys) {
      Partition& p = PartitionOf(key);
      std::unique_lock lock(p.mu);
      p.rows.erase(key);
    }
    return absl::OkStatus();
  }

  TierStats Stats() const override {
    TierStats s;
    s.lookups = lookups_.load(std::memory_order_relaxed);
    s.hits = hits_.load(std::memory_order_relaxed);
    for (const Partition& p : partitions_) {
      std::shared_lock lock(p.mu);
      s.rows += p.rows.size();
    }
    s.bytes = s.rows * row_bytes_;
    return s;
  }

 private:
  struct Partition {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<int64_t, std::vector<float>> rows;  // Guarded by mu.
  };

  Partition& PartitionOf(int64_t key) {
    return partitions_[absl::HashOf(key) & (partitions_.size() - 1)];
  }

  // Evicts an arbitrary row other than `keep`. Caller holds p.mu.
  static void EvictOne(Partition& p, int64_t keep) {
    for (auto it = p.rows.begin(); it != p.rows.end(); ++it) {
      if (it->first != keep) {
        p.rows.erase(it);
        return;
      }
    }
  }

  // Constant after construction.
  const std::string name_ = "hash_map";
  const uint32_t dim_;
  const uint64_t row_bytes_;
  uint64_t rows_per_partition_ = 0;  // 0 = unbounded
  std::vector<Partition> partitions_;

  std::atomic<uint64_t> lookups_{0};
  std::atomic<uint64_t> hits_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tier>> NewHashMapTier(
    uint32_t dim, const HashMapTierOptions& options) {
  if (dim == 0) return absl::InvalidArgumentError("dim must be positive");
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  return std::make_unique<HashMapTier>(dim, options);
}

}  // namespace strata
