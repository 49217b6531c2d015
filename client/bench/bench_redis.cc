#include "client/bench/bench_redis.h"

#include <hiredis/hiredis.h>

#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strata::bench {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

absl::StatusOr<Context> Connect(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address must be host:port, got ", address));
  }
  timeval timeout{5, 0};
  Context c(
      redisConnectWithTimeout(address.substr(0, colon).c_str(), port, timeout));
  if (c == nullptr || c->err) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to redis at ", address, ": ",
                     c ? c->errstr : "out of memory"));
  }
  redisSetTimeout(c.get(), timeval{30, 0});
  return c;
}

// The Redis key of one row: "<model>@<version>/<table>:" + 8 raw key bytes.
std::string RowKey(const std::string& prefix, int64_t key) {
  std::string k = prefix;
  k.append(reinterpret_cast<const char*>(&key), sizeof(key));
  return k;
}

std::string Prefix(const v1::ModelInfo& model, const std::string& table) {
  return absl::StrCat(model.name(), "@", model.version(), "/", table, ":");
}

}  // namespace

absl::Status LoadRowsIntoRedis(StrataClient& client, const v1::ModelInfo& model,
                               const std::string& address) {
  auto c = Connect(address);
  if (!c.ok()) return c.status();
  const std::string marker =
      absl::StrCat("strata-bench:loaded:", model.name(), "@", model.version());
  Reply exists(static_cast<redisReply*>(
      redisCommand(c->get(), "EXISTS %b", marker.data(), marker.size())));
  if (exists == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("redis at ", address, ": ", (*c)->errstr));
  }
  if (exists->type == REDIS_REPLY_INTEGER && exists->integer == 1) {
    return absl::OkStatus();
  }
  constexpr int64_t kChunk = 20000;
  for (const v1::TableInfo& table : model.tables()) {
    const std::string prefix = Prefix(model, table.name());
    for (int64_t first = 0; first < static_cast<int64_t>(table.rows());
         first += kChunk) {
      const int64_t n = std::min<int64_t>(kChunk, table.rows() - first);
      v1::LookupRequest request;
      request.set_model(model.name());
      request.set_version(model.version());
      v1::TableKeys* t = request.add_tables();
      t->set_table(table.name());
      for (int64_t k = first; k < first + n; ++k) t->add_keys(k);
      auto reply = client.Lookup(request);
      if (!reply.ok()) return reply.status();
      const std::string& values = reply->tables(0).values();
      const size_t row_bytes = size_t{table.dim()} * sizeof(float);
      for (int64_t i = 0; i < n; ++i) {
        std::string key = RowKey(prefix, first + i);
        const char* argv[] = {"SET", key.data(), values.data() + i * row_bytes};
        const size_t lens[] = {3, key.size(), row_bytes};
        redisAppendCommandArgv(c->get(), 3, argv, lens);
      }
      for (int64_t i = 0; i < n; ++i) {
        void* raw = nullptr;
        if (redisGetReply(c->get(), &raw) != REDIS_OK) {
          return absl::UnavailableError(absl::StrCat(
              "redis at ", address, " while loading: ", (*c)->errstr));
        }
        Reply r(static_cast<redisReply*>(raw));
        if (r->type == REDIS_REPLY_ERROR) {
          return absl::InternalError(
              absl::StrCat("redis at ", address, ": ", r->str));
        }
      }
    }
  }
  Reply set(static_cast<redisReply*>(
      redisCommand(c->get(), "SET %b 1", marker.data(), marker.size())));
  return absl::OkStatus();
}

absl::StatusOr<LatencyLog> RunRedisMget(
    const LoadOptions& options, const std::string& address,
    const v1::ModelInfo& model, const std::vector<v1::LookupRequest>& pool,
    uint64_t keys_per_request, double* window_s) {
  // Every request's MGET arguments, built before the clock starts (as the
  // Strata requests are).
  struct Args {
    std::vector<std::string> keys;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
  };
  std::vector<Args> args(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    Args& a = args[i];
    for (const v1::TableKeys& t : pool[i].tables()) {
      const std::string prefix = Prefix(model, t.table());
      for (int64_t k : t.keys()) a.keys.push_back(RowKey(prefix, k));
    }
    a.argv.push_back("MGET");
    a.lens.push_back(4);
    for (const std::string& k : a.keys) {
      a.argv.push_back(k.data());
      a.lens.push_back(k.size());
    }
  }
  std::vector<Context> connections;
  for (uint32_t s = 0; s < options.concurrency; ++s) {
    auto c = Connect(address);
    if (!c.ok()) return c.status();
    connections.push_back(std::move(*c));
  }
  return RunSyncLoad(
      options,
      [&](uint32_t slot, uint64_t seq) -> std::string {
        Args& a = args[(slot * 7919 + seq) % args.size()];
        Reply r(static_cast<redisReply*>(redisCommandArgv(
            connections[slot].get(), static_cast<int>(a.argv.size()),
            a.argv.data(), a.lens.data())));
        if (r == nullptr) return "UNAVAILABLE";
        if (r->type != REDIS_REPLY_ARRAY || r->elements != a.keys.size()) {
          return "INTERNAL";
        }
        for (size_t i = 0; i < r->elements; ++i) {
          if (r->element[i]->type != REDIS_REPLY_STRING) return "NOT_FOUND";
        }
        return "OK";
      },
      keys_per_request, window_s);
}

}  // namespace strata::bench
