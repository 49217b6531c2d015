#include "engine/store/redis/redis_cluster_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/store/redis/redis_slot.h"
#include "hiredis/hiredis.h"

namespace strata {
namespace {

enum class Redirect { kNone, kMoved, kAsk, kRetry };

// Classifies an error reply; for MOVED / ASK sets `target` ("host:port").
Redirect Classify(const redisReply& reply, const std::string& from,
                  std::string* target) {
  if (!IsErrorReply(reply)) return Redirect::kNone;
  absl::string_view text = ReplyText(reply);
  const bool moved = absl::StartsWith(text, "MOVED ");
  const bool ask = absl::StartsWith(text, "ASK ");
  if (moved || ask) {
    std::vector<absl::string_view> parts = absl::StrSplit(text, ' ');
    if (parts.size() < 3) return Redirect::kNone;
    *target = std::string(parts[2]);
    if (absl::StartsWith(*target, ":")) {  // host unknown to the node
      *target = absl::StrCat(from.substr(0, from.rfind(':')), *target);
    }
    return moved ? Redirect::kMoved : Redirect::kAsk;
  }
  if (absl::StartsWith(text, "TRYAGAIN") ||
      absl::StartsWith(text, "CLUSTERDOWN") ||
      absl::StartsWith(text, "LOADING")) {
    return Redirect::kRetry;
  }
  return Redirect::kNone;
}

}  // namespace

absl::Status RedisClusterOptions::Validate() const {
  if (seeds.empty()) {
    return absl::InvalidArgumentError("redis cluster: no seed addresses");
  }
  for (const std::string& s : seeds) {
    std::string host;
    int port;
    if (absl::Status st = ParseHostPort(s, &host, &port); !st.ok()) return st;
  }
  if (connect_timeout_ms == 0 || io_timeout_ms == 0) {
    return absl::InvalidArgumentError("redis cluster: timeouts must be > 0");
  }
  if (max_attempts == 0 || max_attempts > 16) {
    return absl::InvalidArgumentError(
        "redis cluster: max_attempts must be in [1, 16]");
  }
  if (breaker_failures_to_open == 0 || breaker_open_ms == 0 ||
      breaker_max_open_ms < breaker_open_ms) {
    return absl::InvalidArgumentError(
        "redis cluster: breaker needs failures_to_open > 0 and "
        "0 < breaker_open_ms <= breaker_max_open_ms");
  }
  if (slot_refresh_interval_ms == 0) {
    return absl::InvalidArgumentError(
        "redis cluster: slot_refresh_interval_ms must be > 0");
  }
  return absl::OkStatus();
}

RedisClusterClient::RedisClusterClient(const RedisClusterOptions& options)
    : options_(options), slots_(kRedisClusterSlots, nullptr) {
  connect_.user = options.user;
  connect_.password = options.password;
  connect_.connect_timeout_ms = options.connect_timeout_ms;
  connect_.read_timeout_ms = options.io_timeout_ms;
  connect_.write_timeout_ms = options.io_timeout_ms;
  breaker_.failures_to_open = options.breaker_failures_to_open;
  breaker_.open_ms = options.breaker_open_ms;
  breaker_.max_open_ms = options.breaker_max_open_ms;
}

absl::StatusOr<std::unique_ptr<RedisClusterClient>> RedisClusterClient::Connect(
    const RedisClusterOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<RedisClusterClient> client(new RedisClusterClient(options));
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  bool installed = false;
  for (const std::string& seed : options.seeds) {
    absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
        RedisConnection::Open(seed, client->connect_);
    absl::StatusOr<RedisReplyPtr> reply =
        conn.ok() ? (*conn)->Command({"CLUSTER", "SLOTS"})
                  : absl::StatusOr<RedisReplyPtr>(conn.status());
    absl::Status s = reply.status();
    if (s.ok() && IsErrorReply(**reply)) {
      absl::string_view text = ReplyText(**reply);
      if (absl::StartsWith(text, "NOAUTH")) {
        s = absl::PermissionDeniedError(
            absl::StrCat("redis ", seed, ": needs a password: ", text));
      } else if (absl::StrContains(text, "cluster support disabled")) {
        s = absl::FailedPreconditionError(absl::StrCat(
            "redis ", seed, " is not a cluster node (", text, ")"));
      } else {
        s = absl::FailedPreconditionError(
            absl::StrCat("redis ", seed, ": CLUSTER SLOTS failed: ", text));
      }
    } else if (s.ok()) {
      s = client->InstallSlots(**reply, seed);
    }
    if (s.ok()) {
      installed = true;
      break;
    }
    code = s.code();
    errors.push_back(std::string(s.message()));
  }
  if (!installed) {
    return absl::Status(code, absl::StrCat("redis cluster: no seed usable: ",
                                           absl::StrJoin(errors, "; ")));
  }
  client->refresher_ = std::thread([c = client.get()] { c->RefreshLoop(); });
  return client;
}

RedisClusterClient::~RedisClusterClient() {
  {
    absl::MutexLock lock(&refresh_mu_);
    stop_ = true;
  }
  if (refresher_.joinable()) refresher_.join();
}

RedisNode* RedisClusterClient::NodeFor(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<RedisNode>& node = nodes_[address];
  if (node == nullptr) {
    node = std::make_unique<RedisNode>(address, connect_, breaker_,
                                       options_.max_idle_connections_per_node);
  }
  return node.get();
}

absl::Status RedisClusterClient::InstallSlots(const redisReply& reply,
                                              const std::string& from) {
  const std::string from_host = from.substr(0, from.rfind(':'));
  std::vector<std::pair<std::pair<int64_t, int64_t>, std::string>> ranges;
  if (reply.type != REDIS_REPLY_ARRAY) {
    return absl::InternalError(
        absl::StrCat("redis ", from, ": CLUSTER SLOTS: unexpected reply"));
  }
  for (size_t i = 0; i < reply.elements; ++i) {
    const redisReply* e = reply.element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
        e->element[2]->type != REDIS_REPLY_ARRAY ||
        e->element[2]->elements < 2) {
      continue;
    }
    const redisReply* master = e->element[2];
    std::string host(ReplyText(*master->element[0]));
    if (host.empty() || host == "?") host = from_host;
    ranges.push_back({{e->element[0]->integer, e->element[1]->integer},
                      absl::StrCat(host, ":", master->element[1]->integer)});
  }
  if (ranges.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis ", from, ": the cluster has no slots assigned"));
  }
  std::vector<RedisNode*> nodes;
  for (const auto& r : ranges) nodes.push_back(NodeFor(r.second));
  absl::MutexLock lock(&mu_);
  std::fill(slots_.begin(), slots_.end(), nullptr);
  for (size_t i = 0; i < ranges.size(); ++i) {
    const int64_t lo = std::max<int64_t>(0, ranges[i].first.first);
    const int64_t hi =
        std::min<int64_t>(kRedisClusterSlots - 1, ranges[i].first.second);
    for (int64_t s = lo; s <= hi; ++s) slots_[s] = nodes[i];
  }
  refreshes_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status RedisClusterClient::RefreshSlotMap() {
  std::vector<RedisNode*> candidates;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [address, node] : nodes_) candidates.push_back(node.get());
  }
  for (const std::string& seed : options_.seeds) {
    candidates.push_back(NodeFor(seed));
  }
  std::vector<std::string> errors;
  for (RedisNode* node : candidates) {
    if (!node->Available()) continue;
    absl::StatusOr<std::unique_ptr<RedisConnection>> conn = node->Acquire();
    if (!conn.ok()) {
      errors.push_back(std::string(conn.status().message()));
      continue;
    }
    absl::StatusOr<RedisReplyPtr> reply =
        (*conn)->Command({"CLUSTER", "SLOTS"});
    if (!reply.ok()) {
      node->ReportFailure();
      errors.push_back(std::string(reply.status().message()));
      continue;
    }
    node->Release(std::move(*conn));
    if (IsErrorReply(**reply)) continue;
    if (InstallSlots(**reply, node->address()).ok()) return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat("redis cluster: no node answered CLUSTER SLOTS: ",
                   absl::StrJoin(errors, "; ")));
}

void RedisClusterClient::RequestRefresh() {
  absl::MutexLock lock(&refresh_mu_);
  refresh_requested_ = true;
}

void RedisClusterClient::RefreshLoop() {
  const absl::Duration interval =
      absl::Milliseconds(options_.slot_refresh_interval_ms);
  refresh_mu_.Lock();
  while (!stop_) {
    refresh_mu_.AwaitWithTimeout(
        absl::Condition(
            +[](RedisClusterClient* c) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return c->refresh_requested_ || c->stop_;
            },
            this),
        interval);
    if (stop_) break;
    refresh_requested_ = false;
    refresh_mu_.Unlock();
    RefreshSlotMap().IgnoreError();  // a cache: keep the old map and retry
    absl::SleepFor(absl::Milliseconds(20));  // at most ~50 refreshes/s
    refresh_mu_.Lock();
  }
  refresh_mu_.Unlock();
}

void RedisClusterClient::Execute(
    absl::Span<const RedisClusterCommand> commands,
    std::vector<absl::StatusOr<RedisReplyPtr>>* replies) {
  const size_t n = commands.size();
  replies->clear();
  replies->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    replies->emplace_back(absl::UnknownError("redis cluster: not run"));
  }
  struct Route {
    RedisNode* node = nullptr;
    bool asking = false;
  };
  std::vector<Route> routes(n);
  {
    absl::ReaderMutexLock lock(&mu_);
    for (size_t i = 0; i < n; ++i) routes[i].node = slots_[commands[i].slot];
  }
  std::vector<size_t> pending(n);
  for (size_t i = 0; i < n; ++i) pending[i] = i;
  static const char* const kAsking = "ASKING";
  static const size_t kAskingLen = 6;

  for (uint32_t attempt = 0; !pending.empty(); ++attempt) {
    // One group per node, in first-seen order.
    struct Group {
      RedisNode* node;
      std::vector<size_t> commands;
      std::unique_ptr<RedisConnection> conn;
    };
    std::vector<Group> groups;
    absl::flat_hash_map<RedisNode*, size_t> group_of;
    for (size_t i : pending) {
      if (routes[i].node == nullptr) {
        (*replies)[i] = absl::UnavailableError(absl::StrCat(
            "redis cluster: slot ", commands[i].slot, " has no master"));
        continue;
      }
      auto [it, added] = group_of.try_emplace(routes[i].node, groups.size());
      if (added) groups.push_back({routes[i].node, {}, nullptr});
      groups[it->second].commands.push_back(i);
    }
    // Write every node's pipeline, then read them all.
    for (Group& g : groups) {
      absl::StatusOr<std::unique_ptr<RedisConnection>> conn = g.node->Acquire();
      absl::Status s = conn.status();
      if (s.ok()) {
        g.conn = std::move(*conn);
        for (size_t i : g.commands) {
          if (routes[i].asking) g.conn->Append(1, &kAsking, &kAskingLen);
          const RedisClusterCommand& c = commands[i];
          g.conn->Append(static_cast<int>(c.argv.size()), c.argv.data(),
                         c.argvlen.data());
        }
        s = g.conn->Flush();
        round_trips_.fetch_add(1, std::memory_order_relaxed);
      }
      if (!s.ok()) {
        if (g.conn != nullptr) g.node->ReportFailure();
        for (size_t i : g.commands) (*replies)[i] = s;
        node_failures_.fetch_add(g.commands.size(), std::memory_order_relaxed);
        g.conn.reset();
        RequestRefresh();
      }
    }
    std::vector<size_t> retry;
    bool backoff = false;
    for (Group& g : groups) {
      if (g.conn == nullptr) continue;
      absl::Status failed;
      for (size_t i : g.commands) {
        if (failed.ok() && routes[i].asking) {
          failed = g.conn->Read().status();  // the +OK of ASKING
        }
        absl::StatusOr<RedisReplyPtr> reply =
            failed.ok() ? g.conn->Read()
                        : absl::StatusOr<RedisReplyPtr>(failed);
        if (!reply.ok()) {
          failed = reply.status();
          (*replies)[i] = failed;
          node_failures_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        std::string target;
        switch (Classify(**reply, g.node->address(), &target)) {
          case Redirect::kNone:
            (*replies)[i] = std::move(reply);
            continue;
          case Redirect::kMoved: {
            RedisNode* to = NodeFor(target);
            {
              absl::MutexLock lock(&mu_);
              slots_[commands[i].slot] = to;
            }
            routes[i] = {to, false};
            moved_.fetch_add(1, std::memory_order_relaxed);
            RequestRefresh();
            break;
          }
          case Redirect::kAsk:
            routes[i] = {NodeFor(target), true};
            ask_.fetch_add(1, std::memory_order_relaxed);
            break;
          case Redirect::kRetry: {
            absl::ReaderMutexLock lock(&mu_);
            routes[i] = {slots_[commands[i].slot], false};
            retries_.fetch_add(1, std::memory_order_relaxed);
            backoff = true;
            break;
          }
        }
        (*replies)[i] = absl::UnavailableError(
            absl::StrCat("redis cluster: slot ", commands[i].slot,
                         " still redirected (", ReplyText(**reply), ") after ",
                         options_.max_attempts, " attempts"));
        retry.push_back(i);
      }
      if (failed.ok()) {
        g.node->ReportSuccess();
        g.node->Release(std::move(g.conn));
      } else {
        g.node->ReportFailure();
        RequestRefresh();
      }
    }
    if (attempt + 1 >= options_.max_attempts) break;  // replies say why
    if (backoff) {
      absl::SleepFor(absl::Milliseconds(options_.retry_backoff_ms << attempt));
    }
    pending = std::move(retry);
  }
}

std::string RedisClusterClient::OwnerOf(uint16_t slot) const {
  absl::MutexLock lock(&mu_);
  RedisNode* n = slots_[slot % kRedisClusterSlots];
  return n == nullptr ? "" : n->address();
}

RedisClusterCounters RedisClusterClient::counters() const {
  RedisClusterCounters c;
  c.round_trips = round_trips_.load(std::memory_order_relaxed);
  c.moved = moved_.load(std::memory_order_relaxed);
  c.ask = ask_.load(std::memory_order_relaxed);
  c.retries = retries_.load(std::memory_order_relaxed);
  c.node_failures = node_failures_.load(std::memory_order_relaxed);
  c.slot_map_refreshes = refreshes_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace strata
