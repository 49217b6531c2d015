#include "engine/store/redis/redis_node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata {

RedisNode::RedisNode(std::string address, const RedisConnectOptions& connect,
                     const RedisBreakerOptions& breaker,
                     uint32_t max_idle_connections)
    : address_(std::move(address)),
      connect_(connect),
      breaker_(breaker),
      max_idle_(max_idle_connections),
      open_ms_(breaker.open_ms) {}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisNode::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (Clock::now() < open_until_) {
      return absl::UnavailableError(
          absl::StrCat("redis ", address_, ": circuit breaker open"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<RedisConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> c =
      RedisConnection::Open(address_, connect_);
  if (!c.ok()) ReportFailure();
  return c;
}

void RedisNode::Release(std::unique_ptr<RedisConnection> connection) {
  if (connection == nullptr || connection->broken()) return;
  absl::MutexLock lock(&mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
}

void RedisNode::ReportSuccess() {
  absl::MutexLock lock(&mu_);
  failures_ = 0;
  open_ms_ = breaker_.open_ms;
}

void RedisNode::ReportFailure() {
  absl::MutexLock lock(&mu_);
  // Connections opened before the failure are suspect: drop them.
  idle_.clear();
  if (++failures_ < breaker_.failures_to_open) return;
  const Clock::time_point now = Clock::now();
  if (now < open_until_) return;  // already open; a late report
  open_until_ = now + std::chrono::milliseconds(open_ms_);
  open_ms_ = std::min(open_ms_ * 2, breaker_.max_open_ms);
}

bool RedisNode::Available() const {
  absl::MutexLock lock(&mu_);
  return Clock::now() >= open_until_;
}

uint32_t RedisNode::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

}  // namespace strata
