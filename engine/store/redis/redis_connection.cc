#include "engine/store/redis/redis_connection.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "hiredis/hiredis.h"

namespace strata {
namespace {

timeval ToTimeval(uint32_t ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  return tv;
}

bool SetSocketTimeout(int fd, int option, uint32_t ms) {
  timeval tv = ToTimeval(ms);
  return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) == 0;
}

}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

absl::string_view ReplyText(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS ||
      reply.type == REDIS_REPLY_ERROR) {
    return absl::string_view(reply.str, reply.len);
  }
  return "";
}

bool IsErrorReply(const redisReply& reply) {
  return reply.type == REDIS_REPLY_ERROR;
}

absl::Status ParseHostPort(const std::string& address, std::string* host,
                           int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), port) ||
      *port <= 0 || *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address \"", address, "\" is not host:port"));
  }
  *host = address.substr(0, colon);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Open(
    const std::string& address, const RedisConnectOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseHostPort(address, &host, &port); !s.ok()) return s;
  redisContext* c = redisConnectWithTimeout(
      host.c_str(), port, ToTimeval(options.connect_timeout_ms));
  if (c == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("redis ", address, ": cannot allocate a connection"));
  }
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return absl::UnavailableError(
        absl::StrCat("redis ", address, ": connect failed: ", why));
  }
  std::unique_ptr<RedisConnection> conn(new RedisConnection(address, c));
  // AUTH runs under the connect timeout; then the steady-state timeouts.
  SetSocketTimeout(c->fd, SO_RCVTIMEO, options.connect_timeout_ms);
  SetSocketTimeout(c->fd, SO_SNDTIMEO, options.connect_timeout_ms);
  if (!options.password.empty()) {
    absl::StatusOr<RedisReplyPtr> reply =
        options.user.empty()
            ? conn->Command({"AUTH", options.password})
            : conn->Command({"AUTH", options.user, options.password});
    if (!reply.ok()) return reply.status();
    if (IsErrorReply(**reply)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "redis ", address, ": AUTH failed: ", ReplyText(**reply)));
    }
  }
  if (!SetSocketTimeout(c->fd, SO_RCVTIMEO, options.read_timeout_ms) ||
      !SetSocketTimeout(c->fd, SO_SNDTIMEO, options.write_timeout_ms)) {
    return absl::InternalError(absl::StrCat(
        "redis ", address, ": setting socket timeouts: ", strerror(errno)));
  }
  return conn;
}

RedisConnection::RedisConnection(std::string address, redisContext* context)
    : address_(std::move(address)), context_(context) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::Status RedisConnection::IoError(absl::string_view what) {
  broken_ = true;
  std::string why =
      context_->errstr[0] != '\0' ? context_->errstr : "connection error";
  if (context_->err == REDIS_ERR_IO &&
      (errno == EAGAIN || errno == EWOULDBLOCK)) {
    why = "timed out";
  }
  return absl::UnavailableError(
      absl::StrCat("redis ", address_, ": ", what, ": ", why));
}

void RedisConnection::Append(int argc, const char* const* argv,
                             const size_t* argvlen) {
  // hiredis 0.14 takes `const char**` but does not write through it.
  if (redisAppendCommandArgv(context_, argc, const_cast<const char**>(argv),
                             argvlen) != REDIS_OK) {
    broken_ = true;
  }
}

absl::Status RedisConnection::Flush() {
  if (broken_) return IoError("write");
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) return IoError("write");
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisReplyPtr> RedisConnection::Read() {
  if (broken_) return IoError("read");
  void* reply = nullptr;
  if (redisGetReply(context_, &reply) != REDIS_OK || reply == nullptr) {
    return IoError("read");
  }
  return RedisReplyPtr(static_cast<redisReply*>(reply));
}

absl::StatusOr<RedisReplyPtr> RedisConnection::Command(
    std::initializer_list<absl::string_view> args) {
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (absl::string_view a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  Append(static_cast<int>(argv.size()), argv.data(), argvlen.data());
  if (absl::Status s = Flush(); !s.ok()) return s;
  return Read();
}

}  // namespace strata
