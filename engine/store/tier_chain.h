// TierChain: the ordered tiers one table is read through, top (fastest) to
// bottom (authoritative). A lookup asks each tier only for what the tiers
// above it missed, and fills rows found below back into the tiers above.
// Keys that no tier holds get the table's default row (default_row.h) and
// are reported.
//
// A lookup of several callers' keys (LookupParts) reads tier 1 straight into
// each caller's rows (or, for a remote tier 1, in one merged call) and reads
// every key tier 1 missed from below only once.
//
// Filling tier 1 after a miss (HPS's hit_rate_threshold), per batch:
// - tier-1 hit rate below the threshold: synchronous; misses are read from
//   the lower tiers and inserted into tier 1 before Lookup returns.
// - at or above: asynchronous; misses are read and returned, and the insert
//   into tier 1 runs on the background pool. With a miss budget, rows the
//   lower tiers cannot supply within it come back as defaults (reported in
//   `defaulted`), and the late read still fills tier 1.
//
// Ownership: the chain owns its tiers; the background pool is borrowed per
// call and must outlive any fill it was handed. A fill may outlive the
// lookup that started it; the destructor waits for the chain's fills, so a
// model version can go while fills of it are queued.
// Thread safety: safe for concurrent calls (every Tier is).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/common/histogram.h"
#include "engine/store/default_row.h"
#include "engine/store/tier.h"

namespace strata {

class WorkerPool;

struct ChainLookupOptions {
  // Tier-1 batch hit rate at or above which tier 1 is filled asynchronously;
  // above 1 means always synchronous.
  double hit_rate_threshold = 0.9;
  // In asynchronous mode, how long the lower tiers may take before missing
  // rows are returned as defaults; 0 waits as long as they take.
  int64_t miss_budget_us = 0;
  // Runs asynchronous fills; nullptr makes every fill synchronous.
  WorkerPool* background = nullptr;
};

// One caller's share of a multi-part lookup (see LookupParts).
struct ChainPart {
  absl::Span<const int64_t> keys;  // (n)
  absl::Span<float> values;        // (n, dim)
  std::vector<size_t>* defaulted;  // positions of default rows, ascending
};

class TierChain {
 public:
  // `tiers` must be non-empty and share one dim.
  TierChain(std::vector<std::unique_ptr<Tier>> tiers, DefaultRow default_row);
  TierChain(std::vector<std::unique_ptr<Tier>> tiers, float default_value)
      : TierChain(std::move(tiers), DefaultRow(default_value)) {}
  ~TierChain();  // waits for this chain's background fills

  uint32_t dim() const { return tiers_.front()->dim(); }
  float default_value() const { return default_row_.scalar(); }
  const DefaultRow& default_row() const { return default_row_; }
  const std::vector<std::unique_ptr<Tier>>& tiers() const { return tiers_; }
  // Seconds each Lookup call of tier t took (one call serves a batch).
  HistogramSnapshot TierLatency(size_t t) const {
    return latency_[t]->Snapshot();
  }

  // Fills every row of `values`. Appends the positions of rows that are the
  // default row (no tier holds the key, or not within the miss budget) to
  // `defaulted`, ascending.
  [[nodiscard]] absl::Status Lookup(
      absl::Span<const int64_t> keys,  // (n)
      absl::Span<float> values,        // (n, dim)
      std::vector<size_t>* defaulted,
      const ChainLookupOptions& options = {}) const;

  // The same for several callers at once: an in-process tier 1 reads
  // straight into each part's rows (a remote one gets a single call with the
  // distinct keys of all parts), and the keys it misses are deduplicated
  // across all parts, so each is read from the lower tiers once. The tier-1
  // hit rate that picks the fill mode is that of all parts together.
  [[nodiscard]] absl::Status LookupParts(
      absl::Span<ChainPart> parts,
      const ChainLookupOptions& options = {}) const;

 private:
  // tiers_[t]->Lookup, timed into latency_[t].
  [[nodiscard]] absl::Status TimedLookup(size_t t,
                                         absl::Span<const int64_t> keys,
                                         absl::Span<float> values,
                                         std::vector<size_t>* missing) const;
  // A key tier 1 did not answer: part, position in it, and (once the misses
  // are deduplicated) its index among the keys read from below.
  struct Pending {
    uint32_t part;
    uint32_t unique;
    size_t pos;
  };
  // Tier 1 read of every part in one call (for a remote tier 1): fills the
  // rows it has, appends the rest to `pending`.
  [[nodiscard]] absl::Status ReadTopMerged(absl::Span<ChainPart> parts,
                                           std::vector<Pending>* pending) const;
  // Reads `keys` from tiers [first, end), filling rows found at a tier into
  // the tiers in [first, that tier). Appends positions found nowhere to
  // `missing`, ascending.
  [[nodiscard]] absl::Status ReadBelow(size_t first,
                                       absl::Span<const int64_t> keys,
                                       absl::Span<float> values,
                                       std::vector<size_t>* missing) const;
  // Fills tier 0 with the rows of `keys` not listed in `missing`, except
  // keys erased since `epochs` were taken (Tier::Fill).
  [[nodiscard]] absl::Status FillTop(absl::Span<const int64_t> keys,
                                     absl::Span<const float> values,
                                     absl::Span<const uint32_t> epochs,
                                     const std::vector<size_t>& missing) const;

  // Hands `task` to the background pool (runs it inline when the pool is
  // full), counted in background_ until it ends.
  void RunInBackground(WorkerPool* pool, std::function<void()> task) const;

  // Constant after construction.
  std::vector<std::unique_ptr<Tier>> tiers_;
  DefaultRow default_row_;
  std::vector<std::unique_ptr<Histogram>> latency_;  // one per tier

  // Background fills handed out and not finished.
  mutable std::mutex background_mu_;
  mutable std::condition_variable background_done_;
  mutable int background_ = 0;  // Guarded by background_mu_.
};

}  // namespace strata
