#include "engine/batch/gpu_cache_tier.h"

#include "engine/common/random.h"

namespace strata {

GpuCacheTier::GpuCacheTier(std::unique_ptr<GpuCache> cache)
    : cache_(std::move(cache)),
      epochs_(new std::atomic<uint32_t>[kEpochStripes]()) {}

std::atomic<uint32_t>& GpuCacheTier::EpochOf(int64_t key) const {
  return epochs_[Mix64(static_cast<uint64_t>(key)) & (kEpochStripes - 1)];
}

absl::Status GpuCacheTier::Lookup(absl::Span<const int64_t> keys,
                                  absl::Span<float> values,
                                  std::vector<size_t>* missing) {
  return cache_->Query(keys, values, missing);
}

absl::Status GpuCacheTier::Upsert(absl::Span<const int64_t> keys,
                                  absl::Span<const float> values) {
  std::lock_guard lock(write_mu_);
  return cache_->Insert(keys, values);
}

absl::Status GpuCacheTier::Erase(absl::Span<const int64_t> keys) {
  std::lock_guard lock(write_mu_);
  absl::Status s = cache_->Invalidate(keys);
  for (int64_t key : keys) EpochOf(key).fetch_add(1, std::memory_order_release);
  return s;
}

void GpuCacheTier::SnapshotEpochs(absl::Span<const int64_t> keys,
                                  std::vector<uint32_t>* epochs) const {
  epochs->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    (*epochs)[i] = EpochOf(keys[i]).load(std::memory_order_acquire);
  }
}

absl::Status GpuCacheTier::Fill(absl::Span<const int64_t> keys,
                                absl::Span<const float> values,
                                absl::Span<const uint32_t> epochs) {
  std::lock_guard lock(write_mu_);
  if (epochs.empty()) return cache_->Insert(keys, values);
  const uint32_t dim = cache_->dim();
  std::vector<int64_t> kept_keys;
  std::vector<float> kept_values;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (EpochOf(keys[i]).load(std::memory_order_acquire) != epochs[i]) continue;
    kept_keys.push_back(keys[i]);
    kept_values.insert(kept_values.end(), values.begin() + i * dim,
                       values.begin() + (i + 1) * dim);
  }
  if (kept_keys.size() == keys.size()) return cache_->Insert(keys, values);
  return cache_->Insert(kept_keys, kept_values);
}

TierStats GpuCacheTier::Stats() const {
  const GpuCacheStats c = cache_->Stats();
  TierStats s;
  s.lookups = c.lookups;
  s.hits = c.hits;
  s.rows = c.rows;
  s.bytes = c.bytes + sizeof(std::atomic<uint32_t>) * kEpochStripes;
  return s;
}

}  // namespace strata
