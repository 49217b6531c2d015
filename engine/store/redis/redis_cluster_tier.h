// RedisClusterTier: a cache Tier on a Redis Cluster shared by every pod.
//
// Data layout. A table's rows are spread over `partitions` Redis hashes, one
// per partition, each under its own hash tag:
//     key   "{<table_prefix>:<p>}"   p = Mix64(key) % partitions
//     field the 8-byte key (key_codec.h: big-endian, sign bit flipped)
//     value dim float32, raw little-endian bytes (dim * 4 bytes)
// so a table is spread over the masters, and a batch costs one HMGET per
// partition it touches, all partitions of one node in one pipelined round
// trip. The tradeoff: a partition is the unit of placement and migration
// (each hash lives whole on one master), so partitions must be many times the
// master count for balance, yet few enough that a batch's commands stay
// large; 32-64 suits 3-12 masters and batches of 1024.
//
// Bounded memory. `capacity_bytes` (key + value bytes, Redis's own per-field
// overhead of about 50-80 bytes comes on top) gives a row budget split evenly
// over the partitions. Every upsert is one Lua script per partition that
// writes the rows, then, while HLEN exceeds the partition's budget, deletes
// random fields (HRANDFIELD), preferring rows not written by this call. So a
// partition never stays over budget after an upsert returns; eviction is
// random, not LRU, which costs some hit rate but needs no per-read
// bookkeeping (reads stay plain HMGETs).
//
// Faults. Keys whose node is down, slow past its timeout, or behind an open
// circuit breaker are reported missing (the chain reads them from the next
// tier), never an error. An Upsert whose node is unavailable is dropped and
// counted. An Erase that cannot reach its node returns UNAVAILABLE, because a
// lost invalidation would leave a stale row behind.
//
// Ownership: the tier shares the cluster client with the other tables'
// tiers; the rows live in the cluster and outlive the tier.
// Thread safety: safe for concurrent calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/store/redis/redis_cluster_client.h"
#include "engine/store/tier.h"

namespace strata {

struct RedisClusterTierOptions {
  // Unique per model, version and table, e.g. "m@1/t0"; no '{' or '}'.
  std::string table_prefix;
  // Redis hashes the table is spread over (see the layout above).
  uint32_t partitions = 32;
  // Budget of key + value bytes for this table; must be > 0.
  uint64_t capacity_bytes = 1ull << 30;
  // Rows per HMGET / upsert script; larger batches are split.
  uint32_t max_keys_per_command = 1024;

  [[nodiscard]] absl::Status Validate() const;
};

// Counters beyond TierStats, cumulative.
struct RedisClusterTierStats {
  uint64_t fallthrough_keys = 0;  // looked-up keys missed because of a fault
  uint64_t dropped_upserts = 0;   // upserted rows dropped because of a fault
  uint64_t evicted = 0;           // rows evicted to stay within capacity
  RedisClusterCounters cluster;   // of the shared client
};

class RedisClusterTier : public Tier {
 public:
  virtual RedisClusterTierStats redis_stats() const = 0;
};

// `client` is shared by all tables of a cluster (RedisClusterClient::Connect).
[[nodiscard]] absl::StatusOr<std::unique_ptr<RedisClusterTier>>
NewRedisClusterTier(uint32_t dim, std::shared_ptr<RedisClusterClient> client,
                    const RedisClusterTierOptions& options);

}  // namespace strata
