// Tier: one level of storage for one embedding table.
//
// A table maps int64 keys to rows of `dim()` float32 values. A *cache* tier
// holds a subset of the rows; the last tier of a chain is *authoritative* and
// holds them all. Every call is batched. A key that a tier does not hold is
// data (it is reported in `missing`), never an error; errors mean the tier
// itself failed (I/O, corruption, a dead node).
//
// Ownership: a Tier owns its storage; callers own the spans they pass.
// Thread safety: every implementation is safe for concurrent calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace strata {

// Counters of one tier; cumulative since the tier was created.
struct TierStats {
  uint64_t lookups = 0;  // keys asked
  uint64_t hits = 0;     // keys found
  uint64_t rows = 0;     // rows held now
  uint64_t bytes = 0;    // bytes held now (keys and values)
};

class Tier {
 public:
  virtual ~Tier() = default;

  // A short name for stats and logs ("hash_map", "rocksdb", ...).
  virtual const std::string& name() const = 0;
  virtual uint32_t dim() const = 0;

  // For every key found, writes its row into `values` at the key's position;
  // leaves the rows of missing keys untouched and appends their positions
  // (indices into `keys`, ascending) to `missing`.
  [[nodiscard]] virtual absl::Status Lookup(
      absl::Span<const int64_t> keys,  // (n)
      absl::Span<float> values,        // (n, dim)
      std::vector<size_t>* missing) = 0;

  // Inserts or overwrites rows. A cache tier may evict to make room.
  [[nodiscard]] virtual absl::Status Upsert(
      absl::Span<const int64_t> keys,       // (n)
      absl::Span<const float> values) = 0;  // (n, dim)

  // Removes rows; keys that are absent are ignored.
  [[nodiscard]] virtual absl::Status Erase(
      absl::Span<const int64_t> keys) = 0;  // (n)

  virtual TierStats Stats() const = 0;

  // Race-free filling of a cache tier after a miss. The caller snapshots
  // the keys' invalidation epochs BEFORE it reads them from a lower tier and
  // hands the rows to Fill, which writes only keys not erased in between: a
  // row read just before an update can never land on top of that update's
  // invalidation. A tier that keeps no epochs (the default) leaves `epochs`
  // empty, and its Fill is Upsert.
  virtual void SnapshotEpochs(absl::Span<const int64_t> keys,  // (n)
                              std::vector<uint32_t>* epochs) const {}
  [[nodiscard]] virtual absl::Status Fill(
      absl::Span<const int64_t> keys,       // (n)
      absl::Span<const float> values,       // (n, dim)
      absl::Span<const uint32_t> epochs) {  // (n), or empty
    return Upsert(keys, values);
  }

  // True for a tier reached over the network, where every call is a round
  // trip: callers then merge the keys of many requests into one call rather
  // than reading each request's keys straight into place.
  virtual bool is_remote() const { return false; }
};

}  // namespace strata
