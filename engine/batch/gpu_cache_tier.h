// GpuCacheTier: a GpuCache (either backend) as tier 1 of a table's chain, so
// the batch workers read the GPU cache first and the chain's fill modes, miss
// budgets and race-free fills apply to it unchanged. Erase (the Applier's
// invalidation of updated keys) frees the keys' ways; Fill drops keys erased
// since the chain snapshotted their epochs, exactly as the hash map does.
//
// Ownership: owns the cache.
// Thread safety: safe for concurrent calls. Erase and Fill are serialized by
// one mutex, under which Erase bumps the keys' epochs and Fill checks them:
// a fill either lands before the erase (which then frees it) or sees the
// bump and drops the key.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/cuda/gpu_cache.h"
#include "engine/store/tier.h"

namespace strata {

class GpuCacheTier final : public Tier {
 public:
  explicit GpuCacheTier(std::unique_ptr<GpuCache> cache);

  const std::string& name() const override { return name_; }
  uint32_t dim() const override { return cache_->dim(); }
  const GpuCache& cache() const { return *cache_; }

  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override;
  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override;
  absl::Status Erase(absl::Span<const int64_t> keys) override;
  TierStats Stats() const override;
  void SnapshotEpochs(absl::Span<const int64_t> keys,
                      std::vector<uint32_t>* epochs) const override;
  absl::Status Fill(absl::Span<const int64_t> keys,
                    absl::Span<const float> values,
                    absl::Span<const uint32_t> epochs) override;

 private:
  static constexpr size_t kEpochStripes = 4096;
  std::atomic<uint32_t>& EpochOf(int64_t key) const;

  const std::string name_ = "gpu_cache";
  const std::unique_ptr<GpuCache> cache_;
  const std::unique_ptr<std::atomic<uint32_t>[]> epochs_;
  std::mutex write_mu_;  // serializes Erase and Fill
};

}  // namespace strata
