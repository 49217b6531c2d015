// The reference backend: gpu_cache_policy.h's decisions over host memory, in
// the layout the kernels use, one call at a time.
#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_layout.h"
#include "engine/cuda/gpu_cache_policy.h"

namespace strata {
namespace {

using namespace gpu_cache;  // NOLINT: the policy's vocabulary

class ReferenceGpuCache final : public GpuCache {
 public:
  explicit ReferenceGpuCache(const GpuCacheOptions& o)
      : layout_(GpuCacheLayout::For(o)),
        keys_(layout_.slots, 0),
        meta_(layout_.slots, 0),
        rows_(layout_.slots * o.dim, 0.0f),
        sketch_(uint64_t{kSketchDepth} * layout_.sketch_width, 0) {}

  const std::string& backend() const override { return backend_; }
  uint32_t dim() const override { return layout_.dim; }
  uint64_t slots() const override { return layout_.slots; }

  absl::Status Query(absl::Span<const int64_t> keys, absl::Span<float> values,
                     std::vector<size_t>* missing) override {
    if (values.size() != keys.size() * layout_.dim) return SizeError();
    std::lock_guard lock(mu_);
    const size_t first_miss = missing->size();
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint64_t base = Set(keys[i]);
      const int w = FindWay(&keys_[base], &meta_[base], keys[i]);
      if (w == kNoWay) {
        missing->push_back(i);
        continue;
      }
      std::memcpy(&values[i * layout_.dim], Row(base + w), RowBytes());
    }
    // The counting pass, apart from the reads (the kernels do the same).
    for (size_t i = 0, m = first_miss; i < keys.size(); ++i) {
      if (m < missing->size() && (*missing)[m] == i) {
        for (uint32_t r = 0; r < kSketchDepth; ++r) {
          uint32_t& c = sketch_[SketchSlot(keys[i], r, layout_.sketch_width)];
          if (c < kMaxCount) ++c;
        }
        ++m;
        continue;
      }
      const uint64_t base = Set(keys[i]);
      const int w = FindWay(&keys_[base], &meta_[base], keys[i]);
      meta_[base + w] = Bump(meta_[base + w]);
    }
    stats_.lookups += keys.size();
    stats_.hits += keys.size() - (missing->size() - first_miss);
    counted_ += keys.size();
    if (counted_ >= layout_.decay_period) {
      counted_ = 0;
      for (uint32_t& m : meta_) m = Decay(m);
      for (uint32_t& c : sketch_) c >>= 1;
    }
    return absl::OkStatus();
  }

  absl::Status Insert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    if (values.size() != keys.size() * layout_.dim) return SizeError();
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint64_t base = Set(keys[i]);
      const float* row = &values[i * layout_.dim];
      int w = FindWay(&keys_[base], &meta_[base], keys[i]);
      if (w != kNoWay) {
        std::memcpy(Row(base + w), row, RowBytes());
        continue;
      }
      w = ChooseVictim(&meta_[base]);
      const uint32_t candidate =
          SketchEstimate(sketch_.data(), keys[i], layout_.sketch_width);
      if (!Admit(candidate, meta_[base + w])) {
        ++stats_.rejected;
        continue;
      }
      if (Occupied(meta_[base + w])) {
        ++stats_.evicted;
      } else {
        ++stats_.rows;
      }
      ++stats_.inserted;
      keys_[base + w] = keys[i];
      meta_[base + w] = NewMeta(candidate);
      std::memcpy(Row(base + w), row, RowBytes());
    }
    return absl::OkStatus();
  }

  absl::Status UpdateIfPresent(absl::Span<const int64_t> keys,
                               absl::Span<const float> values) override {
    if (values.size() != keys.size() * layout_.dim) return SizeError();
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint64_t base = Set(keys[i]);
      const int w = FindWay(&keys_[base], &meta_[base], keys[i]);
      if (w != kNoWay) {
        std::memcpy(Row(base + w), &values[i * layout_.dim], RowBytes());
      }
    }
    return absl::OkStatus();
  }

  absl::Status Invalidate(absl::Span<const int64_t> keys) override {
    std::lock_guard lock(mu_);
    for (int64_t key : keys) {
      const uint64_t base = Set(key);
      const int w = FindWay(&keys_[base], &meta_[base], key);
      if (w != kNoWay) {
        meta_[base + w] = 0;
        --stats_.rows;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> HottestKeys(size_t n) override {
    std::lock_guard lock(mu_);
    return HottestResident(keys_.data(), meta_.data(), layout_.slots, n);
  }

  GpuCacheStats Stats() const override {
    std::lock_guard lock(mu_);
    GpuCacheStats s = stats_;
    s.bytes = layout_.bytes;
    return s;
  }

 private:
  uint64_t Set(int64_t key) const {
    return uint64_t{SetIndex(key, layout_.sets)} * kWays;
  }
  float* Row(uint64_t slot) { return &rows_[slot * layout_.dim]; }
  size_t RowBytes() const { return size_t{layout_.dim} * sizeof(float); }
  absl::Status SizeError() const {
    return absl::InvalidArgumentError(absl::StrCat(
        "gpu cache: values must hold dim ", layout_.dim, " floats per key"));
  }

  const std::string backend_ = "reference";
  const GpuCacheLayout layout_;

  mutable std::mutex mu_;
  std::vector<int64_t> keys_;     // Guarded by mu_.
  std::vector<uint32_t> meta_;    // Guarded by mu_.
  std::vector<float> rows_;       // Guarded by mu_.
  std::vector<uint32_t> sketch_;  // Guarded by mu_.
  uint64_t counted_ = 0;          // Guarded by mu_.
  GpuCacheStats stats_;           // Guarded by mu_.
};

}  // namespace

absl::StatusOr<std::unique_ptr<GpuCache>> NewReferenceGpuCache(
    const GpuCacheOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  return std::unique_ptr<GpuCache>(new ReferenceGpuCache(options));
}

}  // namespace strata
