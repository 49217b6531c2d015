// RedisNode: what a cluster client keeps per Redis node — a pool of idle
// connections and a circuit breaker.
//
// Breaker: after `failures_to_open` consecutive failures (connect errors,
// timeouts, broken connections) the node is *open* for `open_ms`, during
// which Acquire() fails at once without touching the network; then one
// attempt goes through (half-open). A success closes the breaker and resets
// the backoff; a failure reopens it for twice as long, up to `max_open_ms`.
// So a dead node costs one refused connect per backoff period, and the node
// heals by itself when it comes back.
//
// Ownership: owns its idle connections; a borrowed connection is owned by the
// borrower until Release().
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/store/redis/redis_connection.h"

namespace strata {

struct RedisBreakerOptions {
  // Consecutive failures that open the breaker.
  uint32_t failures_to_open = 2;
  // First open period; doubles on each failed half-open attempt.
  uint32_t open_ms = 100;
  // Cap of the open period.
  uint32_t max_open_ms = 2000;
};

class RedisNode {
 public:
  RedisNode(std::string address, const RedisConnectOptions& connect,
            const RedisBreakerOptions& breaker, uint32_t max_idle_connections);

  const std::string& address() const { return address_; }

  // An idle connection, or a new one. UNAVAILABLE when the breaker is open
  // or the connect fails (which counts as a failure).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<RedisConnection>> Acquire();
  // Returns a connection; broken ones are closed.
  void Release(std::unique_ptr<RedisConnection> connection);

  void ReportSuccess();
  void ReportFailure();
  // False while the breaker is open.
  bool Available() const;
  // Consecutive failures counted so far.
  uint32_t failures() const;

 private:
  using Clock = std::chrono::steady_clock;

  // Constant after construction.
  const std::string address_;
  const RedisConnectOptions connect_;
  const RedisBreakerOptions breaker_;
  const uint32_t max_idle_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  uint32_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t open_ms_ ABSL_GUARDED_BY(mu_);
  Clock::time_point open_until_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
