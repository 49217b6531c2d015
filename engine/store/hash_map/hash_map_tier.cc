#include "engine/store/hash_map/hash_map_tier.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/half.h"
#include "engine/common/random.h"
#include "engine/store/hash_map/hash_map_partition.h"
#include "engine/store/hash_map/hash_map_sketch.h"

namespace strata {

absl::Status HashMapTierOptions::Validate() const {
  if (partitions == 0 || partitions > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash map partitions must be in [1, 4096], got ", partitions));
  }
  if (policy != "frequency" && policy != "lfu" && policy != "lru" &&
      policy != "random") {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash map policy must be frequency, lfu, lru or random, got \"", policy,
        "\""));
  }
  if (value_dtype != "fp32" && value_dtype != "fp16") {
    return absl::InvalidArgumentError(
        absl::StrCat("hash map value_dtype must be fp32 or fp16, got \"",
                     value_dtype, "\""));
  }
  if (eviction_samples == 0 || eviction_samples > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("hash map eviction_samples must be in [1, 64], got ",
                     eviction_samples));
  }
  if (access_sample_period == 0 || access_sample_period > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("hash map access_sample_period must be in [1, 1024], got ",
                     access_sample_period));
  }
  if (slab_bytes < 4096 || slab_bytes > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash map slab_bytes must be in [4096, 2^30], got ", slab_bytes));
  }
  return absl::OkStatus();
}

namespace {

enum class Policy { kFrequency, kLfu, kLru, kRandom };

constexpr uint64_t kUnbounded = ~uint64_t{0};  // capacity in rows

Policy ParsePolicy(const std::string& name) {
  if (name == "lfu") return Policy::kLfu;
  if (name == "lru") return Policy::kLru;
  if (name == "random") return Policy::kRandom;
  return Policy::kFrequency;
}

// Keys of one batch grouped by partition: order[offsets[p]..offsets[p+1]) are
// the positions of the keys of partition p, ascending. Per-thread scratch.
struct Grouping {
  std::vector<uint64_t> hashes;   // (n)
  std::vector<uint32_t> order;    // (n)
  std::vector<uint32_t> offsets;  // (partitions + 1)
  std::vector<uint32_t> missing;  // scratch for Lookup
};

Grouping& GroupKeys(absl::Span<const int64_t> keys, int partition_shift,
                    size_t partitions) {
  thread_local Grouping g;
  const size_t n = keys.size();
  g.hashes.resize(n);
  g.order.resize(n);
  g.offsets.assign(partitions + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    g.hashes[i] = HashMapPartition::HashKey(keys[i]);
    ++g.offsets[(partitions == 1 ? 0 : g.hashes[i] >> partition_shift) + 1];
  }
  for (size_t p = 0; p < partitions; ++p) g.offsets[p + 1] += g.offsets[p];
  // Counting sort; `cursor` reuses the `missing` buffer's storage.
  g.missing.assign(g.offsets.begin(), g.offsets.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    const size_t p = partitions == 1 ? 0 : g.hashes[i] >> partition_shift;
    g.order[g.missing[p]++] = static_cast<uint32_t>(i);
  }
  g.missing.clear();
  return g;
}

class HashMapTier final : public Tier {
 public:
  HashMapTier(uint32_t dim, const HashMapTierOptions& options,
              uint64_t capacity_rows, size_t partitions)
      : dim_(dim),
        fp16_(options.value_dtype == "fp16"),
        policy_(ParsePolicy(options.policy)),
        bounded_(capacity_rows != kUnbounded),
        samples_(options.eviction_samples),
        sample_period_(options.access_sample_period),
        partition_shift_(64 - std::countr_zero(partitions)),
        shards_(partitions) {
    const uint32_t value_bytes = dim * (fp16_ ? 2 : 4);
    const bool stamps = bounded_ && policy_ == Policy::kLru;
    const bool sketch =
        bounded_ && (policy_ == Policy::kFrequency || policy_ == Policy::kLfu);
    for (size_t p = 0; p < partitions; ++p) {
      Shard& s = shards_[p];
      s.capacity_rows = bounded_ ? capacity_rows / partitions +
                                       (p < capacity_rows % partitions)
                                 : kUnbounded;
      s.rows = std::make_unique<HashMapPartition>(value_bytes, stamps,
                                                  options.slab_bytes);
      if (sketch) s.sketch = std::make_unique<FrequencySketch>(s.capacity_rows);
      s.rng = Mix64(p + 1);
    }
  }

  const std::string& name() const override { return name_; }
  uint32_t dim() const override { return dim_; }

  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    if (values.size() != keys.size() * dim_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lookup of ", keys.size(), " keys at dim ", dim_, " needs ",
          keys.size() * dim_, " values, got ", values.size()));
    }
    const uint64_t before =
        lookups_.fetch_add(keys.size(), std::memory_order_relaxed);
    const uint32_t epoch = static_cast<uint32_t>(before >> 10) + 1;
    Grouping& g = GroupKeys(keys, partition_shift_, shards_.size());
    // Which positions feed the frequency sketch: every sample_period_-th,
    // starting at a phase that moves from batch to batch.
    const uint32_t phase = static_cast<uint32_t>(before % sample_period_);
    for (size_t p = 0; p < shards_.size(); ++p) {
      const uint32_t begin = g.offsets[p], end = g.offsets[p + 1];
      if (begin == end) continue;
      Shard& s = shards_[p];
      std::shared_lock lock(s.mu);
      LookupInPartition(s, keys, &g, begin, end, values, epoch);
      if (s.sketch != nullptr) {
        uint64_t counted = 0;
        for (uint32_t j = begin; j < end; ++j) {
          const uint32_t i = g.order[j];
          if ((i + phase) % sample_period_ != 0) continue;
          s.sketch->Increment(g.hashes[i]);
          ++counted;
        }
        s.sketch->AddEvents(counted);
      }
    }
    std::sort(g.missing.begin(), g.missing.end());
    missing->insert(missing->end(), g.missing.begin(), g.missing.end());
    hits_.fetch_add(keys.size() - g.missing.size(), std::memory_order_relaxed);
    g.missing.clear();
    return absl::OkStatus();
  }

  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    return Write(keys, values, {});
  }

  void SnapshotEpochs(absl::Span<const int64_t> keys,
                      std::vector<uint32_t>* epochs) const override {
    epochs->resize(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      (*epochs)[i] = EpochOf(HashMapPartition::HashKey(keys[i]))
                         .load(std::memory_order_acquire);
    }
  }

  absl::Status Fill(absl::Span<const int64_t> keys,
                    absl::Span<const float> values,
                    absl::Span<const uint32_t> epochs) override {
    if (!epochs.empty() && epochs.size() != keys.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fill of ", keys.size(), " keys with ", epochs.size(), " epochs"));
    }
    return Write(keys, values, epochs);
  }

  absl::Status Erase(absl::Span<const int64_t> keys) override {
    Grouping& g = GroupKeys(keys, partition_shift_, shards_.size());
    for (size_t p = 0; p < shards_.size(); ++p) {
      const uint32_t begin = g.offsets[p], end = g.offsets[p + 1];
      if (begin == end) continue;
      Shard& s = shards_[p];
      std::unique_lock lock(s.mu);
      for (uint32_t j = begin; j < end; ++j) {
        const uint32_t i = g.order[j];
        // Present or not: a fill of this key may be in flight.
        EpochOf(g.hashes[i]).fetch_add(1, std::memory_order_release);
        const uint32_t row = s.rows->Find(keys[i], g.hashes[i]);
        if (row != HashMapPartition::kNoRow) s.rows->EraseRow(row);
      }
    }
    return absl::OkStatus();
  }

  TierStats Stats() const override {
    TierStats stats;
    stats.lookups = lookups_.load(std::memory_order_relaxed);
    stats.hits = hits_.load(std::memory_order_relaxed);
    for (const Shard& s : shards_) {
      std::shared_lock lock(s.mu);
      stats.rows += s.rows->size();
      stats.bytes += s.rows->bytes();
      if (s.sketch != nullptr) stats.bytes += s.sketch->bytes();
    }
    stats.bytes += sizeof(std::atomic<uint32_t>) * kEpochStripes;
    return stats;
  }

 private:
  // Upsert, or with `epochs` (one per key) Fill: keys whose stripe epoch
  // moved since the snapshot are left out. The epoch is read under the
  // key's partition lock, the lock Erase bumps it under, so a row read from
  // below before an erase of its key is either dropped here or written
  // before that erase removes it.
  absl::Status Write(absl::Span<const int64_t> keys,
                     absl::Span<const float> values,
                     absl::Span<const uint32_t> epochs) {
    if (values.size() != keys.size() * dim_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "upsert of ", keys.size(), " keys at dim ", dim_, " needs ",
          keys.size() * dim_, " values, got ", values.size()));
    }
    const uint32_t epoch =
        static_cast<uint32_t>(lookups_.load(std::memory_order_relaxed) >> 10) +
        1;
    Grouping& g = GroupKeys(keys, partition_shift_, shards_.size());
    for (size_t p = 0; p < shards_.size(); ++p) {
      const uint32_t begin = g.offsets[p], end = g.offsets[p + 1];
      if (begin == end) continue;
      Shard& s = shards_[p];
      std::unique_lock lock(s.mu);
      if (s.sketch != nullptr) s.sketch->MaybeAge();
      for (uint32_t j = begin; j < end; ++j) {
        const uint32_t i = g.order[j];
        if (!epochs.empty() &&
            EpochOf(g.hashes[i]).load(std::memory_order_acquire) != epochs[i]) {
          continue;  // erased since it was read from below
        }
        const uint32_t row = UpsertRow(s, keys[i], g.hashes[i]);
        if (row == HashMapPartition::kNoRow) continue;  // not admitted
        StoreRow(s, row, &values[static_cast<size_t>(i) * dim_]);
        if (policy_ == Policy::kLru && bounded_) {
          s.rows->Stamp(row).store(epoch, std::memory_order_relaxed);
        }
      }
    }
    return absl::OkStatus();
  }

  struct alignas(64) Shard {
    mutable std::shared_mutex mu;
    // Guarded by mu (shared for reads, exclusive for writes).
    std::unique_ptr<HashMapPartition> rows;
    uint64_t rng = 0;  // for eviction sampling; guarded by mu (exclusive)
    // Internally synchronized; aged under mu (exclusive).
    std::unique_ptr<FrequencySketch> sketch;
    // Constant after construction.
    uint64_t capacity_rows = kUnbounded;  // rows this partition may hold
  };

  // Copies the rows of order[begin, end) out of `s`, with a software
  // pipeline: prefetch the index slot kAhead keys ahead, probe and prefetch
  // the row kAhead keys ahead of the copy. Caller holds s.mu shared.
  void LookupInPartition(const Shard& s, absl::Span<const int64_t> keys,
                         Grouping* g, uint32_t begin, uint32_t end,
                         absl::Span<float> values, uint32_t epoch) const {
    constexpr uint32_t kAhead = 8;
    constexpr uint32_t kRing = 16;  // > kAhead, a power of two
    uint32_t found[kRing];
    const HashMapPartition& part = *s.rows;
    const bool stamp = bounded_ && policy_ == Policy::kLru;
    const uint32_t m = end - begin;
    for (uint32_t t = 0; t < m + 2 * kAhead; ++t) {
      if (t < m) part.PrefetchSlot(g->hashes[g->order[begin + t]]);
      if (t >= kAhead && t - kAhead < m) {
        const uint32_t i = g->order[begin + t - kAhead];
        const uint32_t row = part.FindCandidate(g->hashes[i]);
        found[(t - kAhead) & (kRing - 1)] = row;
        if (row != HashMapPartition::kNoRow) part.PrefetchRow(row);
      }
      if (t >= 2 * kAhead) {
        const uint32_t k = t - 2 * kAhead;
        const uint32_t i = g->order[begin + k];
        uint32_t row = found[k & (kRing - 1)];
        if (row != HashMapPartition::kNoRow && part.RowKey(row) != keys[i]) {
          row = part.Find(keys[i], g->hashes[i]);  // tag collision
        }
        if (row == HashMapPartition::kNoRow) {
          g->missing.push_back(i);
          continue;
        }
        LoadRow(part, row, &values[static_cast<size_t>(i) * dim_]);
        if (stamp) {
          std::atomic_ref<uint32_t> st = part.Stamp(row);
          if (st.load(std::memory_order_relaxed) != epoch) {
            st.store(epoch, std::memory_order_relaxed);
          }
        }
      }
    }
  }

  void LoadRow(const HashMapPartition& part, uint32_t row, float* out) const {
    const std::byte* src = part.RowValues(row);
    if (fp16_) {
      HalvesToFloats(reinterpret_cast<const uint16_t*>(src), dim_, out);
    } else {
      std::memcpy(out, src, sizeof(float) * dim_);
    }
  }

  void StoreRow(Shard& s, uint32_t row, const float* in) {
    std::byte* dst = s.rows->RowValues(row);
    if (fp16_) {
      FloatsToHalves(in, dim_, reinterpret_cast<uint16_t*>(dst));
    } else {
      std::memcpy(dst, in, sizeof(float) * dim_);
    }
  }

  // The row to write `key` into: its own, a new one, or kNoRow when the
  // policy does not admit it. Caller holds s.mu exclusively.
  uint32_t UpsertRow(Shard& s, int64_t key, uint64_t hash) {
    HashMapPartition& part = *s.rows;
    const uint32_t row = part.Find(key, hash);
    if (row != HashMapPartition::kNoRow) return row;
    if (part.size() < s.capacity_rows) return part.Insert(key, hash);
    if (s.capacity_rows == 0) return HashMapPartition::kNoRow;
    const uint32_t victim = ChooseVictim(s, hash);
    if (victim == HashMapPartition::kNoRow) return victim;
    part.EraseRow(victim);
    return part.Insert(key, hash);
  }

  // A resident row to evict for a candidate with hash `hash`, or kNoRow to
  // reject the candidate. Caller holds s.mu exclusively; s is full.
  uint32_t ChooseVictim(Shard& s, uint64_t hash) {
    const HashMapPartition& part = *s.rows;
    const uint32_t n = part.size();
    auto random_row = [&] {
      s.rng += 0x9e3779b97f4a7c15ull;
      return static_cast<uint32_t>(
          (static_cast<unsigned __int128>(Mix64(s.rng)) * n) >> 64);
    };
    if (policy_ == Policy::kRandom) return random_row();
    uint32_t victim = random_row();
    uint32_t best = Score(s, victim);
    for (uint32_t k = 1; k < samples_; ++k) {
      const uint32_t row = random_row();
      const uint32_t score = Score(s, row);
      if (score < best) {
        best = score;
        victim = row;
      }
    }
    if (policy_ == Policy::kFrequency && s.sketch->Estimate(hash) <= best) {
      return HashMapPartition::kNoRow;
    }
    return victim;
  }

  // Lower is a better victim: the recency stamp (LRU) or the estimated
  // access count (LFU, frequency).
  uint32_t Score(const Shard& s, uint32_t row) const {
    if (policy_ == Policy::kLru) {
      return s.rows->Stamp(row).load(std::memory_order_relaxed);
    }
    return s.sketch->Estimate(HashMapPartition::HashKey(s.rows->RowKey(row)));
  }

  // Invalidation epochs, one per stripe of keys (by hash): bumped by Erase,
  // checked by Fill (see Write). 16 KiB; a stripe shared by other keys can
  // only make a fill skip a key, never keep a stale one.
  static constexpr size_t kEpochStripes = 4096;
  std::atomic<uint32_t>& EpochOf(uint64_t hash) const {
    return epochs_[hash & (kEpochStripes - 1)];
  }

  // Constant after construction.
  const std::string name_ = "hash_map";
  const uint32_t dim_;
  const bool fp16_;
  const Policy policy_;
  const bool bounded_;
  const uint32_t samples_;
  const uint32_t sample_period_;
  const int partition_shift_;  // the partition is hash >> partition_shift_
  std::vector<Shard> shards_;

  std::atomic<uint64_t> lookups_{0};
  std::atomic<uint64_t> hits_{0};
  const std::unique_ptr<std::atomic<uint32_t>[]> epochs_ {
    new std::atomic<uint32_t>[ kEpochStripes ]()
  };
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tier>> NewHashMapTier(
    uint32_t dim, const HashMapTierOptions& options) {
  if (dim == 0) return absl::InvalidArgumentError("dim must be positive");
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  const uint64_t row_bytes =
      sizeof(int64_t) + uint64_t{dim} * (options.value_dtype == "fp16" ? 2 : 4);
  // A capacity below one row is valid: such a cache holds nothing.
  const uint64_t capacity_rows = options.capacity_bytes == 0
                                     ? kUnbounded
                                     : options.capacity_bytes / row_bytes;
  size_t partitions = std::bit_ceil(options.partitions);
  if (capacity_rows != kUnbounded) {
    // Keep at least 64 rows per partition so sampled eviction has a choice.
    partitions = std::min<size_t>(
        partitions, std::bit_floor(std::max<uint64_t>(capacity_rows / 64, 1)));
  }
  return std::make_unique<HashMapTier>(dim, options, capacity_rows, partitions);
}

}  // namespace strata
