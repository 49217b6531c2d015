// RedisClusterClient: a small Redis Cluster client on hiredis 0.14.
//
// - Discovery: CLUSTER SLOTS from any seed that answers; the slot map is
//   refreshed in the background every `slot_refresh_interval_ms`, and at once
//   after a MOVED or a node failure.
// - Routing: every command carries its key slot (redis_slot.h). Execute()
//   groups a batch by owning master and does one pipelined round trip per
//   node, with the round trips to all nodes overlapped (write all, then read
//   all).
// - Redirections: MOVED updates the slot's owner and retries there; ASK
//   retries once at the named node behind ASKING; TRYAGAIN and CLUSTERDOWN
//   retry after a backoff that doubles; all bounded by `max_attempts`.
// - Faults: per-node circuit breakers (redis_node.h). A command whose node is
//   down, slow past its timeout, or open gets UNAVAILABLE in its slot of the
//   result, never a hang and never a thrown exception.
//
// Ownership: owns its nodes, their connections and a refresher thread; the
// argv buffers of commands are borrowed for the duration of Execute().
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "engine/store/redis/redis_connection.h"
#include "engine/store/redis/redis_node.h"

namespace strata {

struct RedisClusterOptions {
  // "host:port" of one or more cluster nodes; any one that answers will do.
  std::vector<std::string> seeds;
  // ACL user for AUTH; empty means the legacy single-password AUTH.
  std::string user;
  // AUTH password; empty means no AUTH.
  std::string password;
  // TCP connect (and AUTH) timeout per node.
  uint32_t connect_timeout_ms = 500;
  // Read and write timeout per round trip; a slower node counts as failed.
  uint32_t io_timeout_ms = 200;
  // Idle connections kept per node (more are opened under load, then closed).
  uint32_t max_idle_connections_per_node = 16;
  // Round trips a command may take (redirections and retries included).
  uint32_t max_attempts = 4;
  // Backoff before the first TRYAGAIN / CLUSTERDOWN retry; doubles after.
  uint32_t retry_backoff_ms = 5;
  // Circuit breaker: consecutive failures that open it.
  uint32_t breaker_failures_to_open = 2;
  // Circuit breaker: first open period, doubling up to breaker_max_open_ms.
  uint32_t breaker_open_ms = 100;
  uint32_t breaker_max_open_ms = 2000;
  // Periodic CLUSTER SLOTS refresh.
  uint32_t slot_refresh_interval_ms = 1000;

  [[nodiscard]] absl::Status Validate() const;
};

// One command routed by `slot`. argv/argvlen point at caller-owned bytes.
struct RedisClusterCommand {
  uint16_t slot = 0;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
};

// Cumulative counters.
struct RedisClusterCounters {
  uint64_t round_trips = 0;
  uint64_t moved = 0;
  uint64_t ask = 0;
  uint64_t retries = 0;        // TRYAGAIN / CLUSTERDOWN / LOADING retries
  uint64_t node_failures = 0;  // commands that got UNAVAILABLE
  uint64_t slot_map_refreshes = 0;
};

class RedisClusterClient {
 public:
  // Reads the slot map from the first seed that answers. Errors name every
  // seed tried and why it failed: unreachable (UNAVAILABLE), wrong password
  // (PERMISSION_DENIED), not a cluster node (FAILED_PRECONDITION).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisClusterClient>>
  Connect(const RedisClusterOptions& options);
  ~RedisClusterClient();
  RedisClusterClient(const RedisClusterClient&) = delete;
  RedisClusterClient& operator=(const RedisClusterClient&) = delete;

  // Runs every command; (*replies)[i] is command i's reply (which may be an
  // error reply such as WRONGTYPE) or the status that says why it has none.
  void Execute(absl::Span<const RedisClusterCommand> commands,
               std::vector<absl::StatusOr<RedisReplyPtr>>* replies);

  // Re-reads CLUSTER SLOTS now.
  [[nodiscard]] absl::Status RefreshSlotMap();
  // Asks the background thread for a refresh soon.
  void RequestRefresh();

  // "host:port" of the master that owns `slot` now ("" if none).
  std::string OwnerOf(uint16_t slot) const;
  RedisClusterCounters counters() const;

 private:
  explicit RedisClusterClient(const RedisClusterOptions& options);
  RedisNode* NodeFor(const std::string& address);
  // Installs a CLUSTER SLOTS reply got from `from` (host of empty addresses).
  [[nodiscard]] absl::Status InstallSlots(const redisReply& reply,
                                          const std::string& from);
  void RefreshLoop();

  // Constant after construction.
  const RedisClusterOptions options_;
  RedisConnectOptions connect_;
  RedisBreakerOptions breaker_;

  mutable absl::Mutex mu_;
  // Nodes are never removed, so RedisNode pointers stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<RedisNode>> nodes_
      ABSL_GUARDED_BY(mu_);
  std::vector<RedisNode*> slots_ ABSL_GUARDED_BY(mu_);  // (16384)

  absl::Mutex refresh_mu_;
  bool refresh_requested_ ABSL_GUARDED_BY(refresh_mu_) = false;
  bool stop_ ABSL_GUARDED_BY(refresh_mu_) = false;
  std::thread refresher_;

  std::atomic<uint64_t> round_trips_{0}, moved_{0}, ask_{0}, retries_{0},
      node_failures_{0}, refreshes_{0};
};

}  // namespace strata
