// RedisConnection: one blocking hiredis 0.14 connection to one Redis node,
// with connect, read and write timeouts and AUTH done at open. Commands are
// appended as binary-safe argv (never formatted through %s), written with
// Flush() and their replies read in order with Read(), so a caller can
// pipeline many commands per round trip and overlap round trips to several
// nodes (flush all, then read all).
//
// After any I/O error or timeout the connection is `broken()` (the reply
// stream is out of step) and must be dropped.
//
// Ownership: owns its hiredis context and socket; callers own the argv
// buffers until Flush() returns; replies are owned by the RedisReplyPtr.
// Thread safety: none; one thread uses a connection at a time (RedisNode
// hands them out).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct redisContext;
struct redisReply;

namespace strata {

struct RedisConnectOptions {
  // ACL user for AUTH; empty means the legacy single-password AUTH.
  std::string user;
  // Password for AUTH; empty means no AUTH.
  std::string password;
  // Timeout of the TCP connect (and of the AUTH round trip).
  uint32_t connect_timeout_ms = 500;
  // A read that waits longer fails and breaks the connection.
  uint32_t read_timeout_ms = 200;
  // A write that blocks longer fails and breaks the connection.
  uint32_t write_timeout_ms = 200;
};

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Splits "host:port"; errors name the bad text.
[[nodiscard]] absl::Status ParseHostPort(const std::string& address,
                                         std::string* host, int* port);

class RedisConnection {
 public:
  // Connects to `address` ("host:port") and authenticates. Errors name the
  // address: UNAVAILABLE for connect failures, PERMISSION_DENIED or
  // UNAUTHENTICATED for a refused AUTH.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisConnection>> Open(
      const std::string& address, const RedisConnectOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  const std::string& address() const { return address_; }
  bool broken() const { return broken_; }

  // Queues one command in the output buffer; no I/O.
  void Append(int argc, const char* const* argv, const size_t* argvlen);
  // Writes every queued command.
  [[nodiscard]] absl::Status Flush();
  // Reads the next reply (an error reply is a reply, not a failed status).
  [[nodiscard]] absl::StatusOr<RedisReplyPtr> Read();
  // Append + Flush + Read of one command.
  [[nodiscard]] absl::StatusOr<RedisReplyPtr> Command(
      std::initializer_list<absl::string_view> args);

 private:
  RedisConnection(std::string address, redisContext* context);
  absl::Status IoError(absl::string_view what);

  const std::string address_;
  redisContext* const context_;  // Owned.
  bool broken_ = false;
};

// The text of a string, status or error reply ("" for other types).
absl::string_view ReplyText(const redisReply& reply);
bool IsErrorReply(const redisReply& reply);

}  // namespace strata
