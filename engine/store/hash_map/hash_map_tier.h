// HashMapTier: an in-memory Tier, used as a bounded CPU cache in front of a
// slower tier, or unbounded as an authoritative in-memory table.
//
// Keys are spread over partitions by hash; each partition is an
// open-addressing index over rows packed in large slabs (8-byte key plus the
// values, stored as fp32 or fp16), so memory stays close to the raw row
// bytes. A batch is grouped by partition first, so a lookup takes each
// partition's lock once. With `capacity_bytes` set, inserting into a full
// partition evicts by `policy`; the default admits a new row only when a
// frequency sketch says it is more popular than the row it would evict
// (TinyLFU), which keeps the hot set under scans and Zipf traffic.
//
// Ownership: the tier owns its rows; callers own the spans they pass.
// Thread safety: safe for concurrent calls. Each partition has a
// reader/writer lock: lookups share it while they copy rows, upserts, erases
// and evictions hold it exclusively, so a lookup never sees a torn row or
// another key's row. A fill after a miss (Fill) drops every key erased since
// its epochs were taken, so an invalidation is never undone by a fill that
// read the old row just before it. Lookups of different partitions never
// contend; access tracking by readers uses relaxed atomic counters (LRU
// stamps are written only when they change).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/store/tier.h"

namespace strata {

struct HashMapTierOptions {
  // Upper bound on row bytes held, counting per row the 8-byte key plus the
  // stored values (4 or 2 bytes per float); 0 means unbounded, and a bound
  // below one row holds nothing. Inserting past it evicts. The index adds about
  // 10-20 bytes per row on top (Stats().bytes reports everything allocated).
  uint64_t capacity_bytes = 0;
  // Number of independently locked partitions (rounded up to a power of two;
  // a small bounded tier uses fewer, so each keeps at least 64 rows).
  uint32_t partitions = 16;
  // Replacement policy of a bounded tier: "frequency" (frequency-sketch
  // admission in front of sampled least-frequent eviction), "lfu" (sampled
  // least-frequent eviction, always admit), "lru" (sampled least-recent
  // eviction), or "random".
  std::string policy = "frequency";
  // Storage type of values: "fp32", or "fp16" (half the value bytes,
  // converted on read; relative error at most 2^-11 within the half range).
  std::string value_dtype = "fp32";
  // Resident rows sampled to pick one eviction victim, in [1, 64].
  uint32_t eviction_samples = 8;
  // Counts one of every N looked-up keys in the frequency sketch (1 = every
  // key), in [1, 1024]; larger is cheaper for readers and less accurate.
  uint32_t access_sample_period = 1;
  // Bytes of one slab of packed rows, in [4 KiB, 1 GiB]; slabs of 1.5 MiB
  // or more are rounded up to 2 MiB multiples and put on huge pages.
  uint64_t slab_bytes = 2 << 20;

  [[nodiscard]] absl::Status Validate() const;
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<Tier>> NewHashMapTier(
    uint32_t dim, const HashMapTierOptions& options);

}  // namespace strata
