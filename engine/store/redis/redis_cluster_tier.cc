#include "engine/store/redis/redis_cluster_tier.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/random.h"
#include "engine/store/key_codec.h"
#include "engine/store/redis/redis_slot.h"
#include "hiredis/hiredis.h"

namespace strata {

absl::Status RedisClusterTierOptions::Validate() const {
  if (table_prefix.empty() || absl::StrContains(table_prefix, '{') ||
      absl::StrContains(table_prefix, '}')) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis tier: table_prefix \"", table_prefix,
                     "\" must be non-empty and free of '{' and '}'"));
  }
  if (partitions == 0 || partitions > 16384) {
    return absl::InvalidArgumentError(absl::StrCat(
        "redis tier: partitions must be in [1, 16384], got ", partitions));
  }
  if (capacity_bytes == 0) {
    return absl::InvalidArgumentError(
        "redis tier: capacity_bytes must be > 0 (a shared cache is bounded)");
  }
  if (max_keys_per_command == 0) {
    return absl::InvalidArgumentError(
        "redis tier: max_keys_per_command must be > 0");
  }
  return absl::OkStatus();
}

namespace {

// ARGV = cap, field, value, field, value, ...  Returns {hlen, evicted}.
constexpr char kUpsertScript[] = R"lua(
local cap = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local n = redis.call('HLEN', KEYS[1])
if n <= cap then return {n, 0} end
local excess = n - cap
local fresh = {}
for i = 2, #ARGV, 2 do fresh[ARGV[i]] = true end
local sample = redis.call('HRANDFIELD', KEYS[1], excess + (#ARGV - 1) / 2)
local victims = {}
for _, f in ipairs(sample) do
  if #victims < excess and not fresh[f] then victims[#victims + 1] = f end
end
for _, f in ipairs(sample) do
  if #victims < excess and fresh[f] then victims[#victims + 1] = f end
end
for i = 1, #victims, 1000 do
  redis.call('HDEL', KEYS[1], unpack(victims, i, math.min(i + 999, #victims)))
end
return {n - #victims, #victims}
)lua";

class RedisClusterTierImpl final : public RedisClusterTier {
 public:
  RedisClusterTierImpl(uint32_t dim, std::shared_ptr<RedisClusterClient> client,
                       const RedisClusterTierOptions& options)
      : dim_(dim),
        row_bytes_(sizeof(float) * dim),
        client_(std::move(client)),
        options_(options),
        rows_(options.partitions) {
    const uint64_t rows = std::max<uint64_t>(
        1, options.capacity_bytes / (kEncodedKeySize + row_bytes_));
    cap_per_partition_ =
        absl::StrCat(std::max<uint64_t>(1, rows / options.partitions));
    for (uint32_t p = 0; p < options.partitions; ++p) {
      hash_keys_.push_back(
          absl::StrCat("{", options.table_prefix, ":", p, "}"));
      slots_.push_back(RedisKeySlot(hash_keys_.back()));
    }
  }

  const std::string& name() const override { return name_; }
  bool is_remote() const override { return true; }
  uint32_t dim() const override { return dim_; }

  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    const size_t n = keys.size();
    Plan plan = MakePlan(keys);
    static const char kHmget[] = "HMGET";
    std::vector<RedisClusterCommand> commands;
    for (const Chunk& c : plan.chunks) {
      RedisClusterCommand& cmd = commands.emplace_back();
      cmd.slot = slots_[c.partition];
      cmd.argv = {kHmget, hash_keys_[c.partition].data()};
      cmd.argvlen = {5, hash_keys_[c.partition].size()};
      for (size_t j = c.begin; j < c.end; ++j) {
        cmd.argv.push_back(&plan.fields[plan.order[j] * kEncodedKeySize]);
        cmd.argvlen.push_back(kEncodedKeySize);
      }
    }
    std::vector<absl::StatusOr<RedisReplyPtr>> replies;
    client_->Execute(commands, &replies);
    std::vector<bool> found(n, false);
    uint64_t hits = 0, faults = 0;
    for (size_t k = 0; k < plan.chunks.size(); ++k) {
      const Chunk& c = plan.chunks[k];
      const redisReply* r = replies[k].ok() ? replies[k]->get() : nullptr;
      if (r == nullptr || r->type != REDIS_REPLY_ARRAY ||
          r->elements != c.end - c.begin) {
        faults += c.end - c.begin;  // node down, slow, or a bad reply
        continue;
      }
      for (size_t j = c.begin; j < c.end; ++j) {
        const redisReply* e = r->element[j - c.begin];
        if (e->type != REDIS_REPLY_STRING || e->len != row_bytes_) continue;
        const size_t i = plan.order[j];
        std::memcpy(&values[i * dim_], e->str, row_bytes_);
        found[i] = true;
        ++hits;
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (!found[i]) missing->push_back(i);
    }
    lookups_.fetch_add(n, std::memory_order_relaxed);
    hits_.fetch_add(hits, std::memory_order_relaxed);
    fallthrough_.fetch_add(faults, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    Plan plan = MakePlan(keys);
    static const char kEval[] = "EVAL";
    static const char kOne[] = "1";
    std::vector<RedisClusterCommand> commands;
    for (const Chunk& c : plan.chunks) {
      RedisClusterCommand& cmd = commands.emplace_back();
      cmd.slot = slots_[c.partition];
      cmd.argv = {kEval, kUpsertScript, kOne, hash_keys_[c.partition].data(),
                  cap_per_partition_.data()};
      cmd.argvlen = {4, sizeof(kUpsertScript) - 1, 1,
                     hash_keys_[c.partition].size(), cap_per_partition_.size()};
      for (size_t j = c.begin; j < c.end; ++j) {
        const size_t i = plan.order[j];
        cmd.argv.push_back(&plan.fields[i * kEncodedKeySize]);
        cmd.argvlen.push_back(kEncodedKeySize);
        cmd.argv.push_back(reinterpret_cast<const char*>(&values[i * dim_]));
        cmd.argvlen.push_back(row_bytes_);
      }
    }
    std::vector<absl::StatusOr<RedisReplyPtr>> replies;
    client_->Execute(commands, &replies);
    for (size_t k = 0; k < plan.chunks.size(); ++k) {
      const Chunk& c = plan.chunks[k];
      const redisReply* r = replies[k].ok() ? replies[k]->get() : nullptr;
      if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        dropped_.fetch_add(c.end - c.begin, std::memory_order_relaxed);
        continue;
      }
      rows_[c.partition].store(static_cast<uint64_t>(r->element[0]->integer),
                               std::memory_order_relaxed);
      evicted_.fetch_add(static_cast<uint64_t>(r->element[1]->integer),
                         std::memory_order_relaxed);
    }
    return absl::OkStatus();
  }

  absl::Status Erase(absl::Span<const int64_t> keys) override {
    Plan plan = MakePlan(keys);
    static const char kHdel[] = "HDEL";
    std::vector<RedisClusterCommand> commands;
    for (const Chunk& c : plan.chunks) {
      RedisClusterCommand& cmd = commands.emplace_back();
      cmd.slot = slots_[c.partition];
      cmd.argv = {kHdel, hash_keys_[c.partition].data()};
      cmd.argvlen = {4, hash_keys_[c.partition].size()};
      for (size_t j = c.begin; j < c.end; ++j) {
        cmd.argv.push_back(&plan.fields[plan.order[j] * kEncodedKeySize]);
        cmd.argvlen.push_back(kEncodedKeySize);
      }
    }
    std::vector<absl::StatusOr<RedisReplyPtr>> replies;
    client_->Execute(commands, &replies);
    for (size_t k = 0; k < plan.chunks.size(); ++k) {
      if (!replies[k].ok()) return replies[k].status();
      const redisReply* r = replies[k]->get();
      if (r->type != REDIS_REPLY_INTEGER) {
        return absl::InternalError(
            absl::StrCat("redis tier ", options_.table_prefix,
                         ": HDEL failed: ", ReplyText(*r)));
      }
      std::atomic<uint64_t>& rows = rows_[plan.chunks[k].partition];
      uint64_t now = rows.load(std::memory_order_relaxed);
      const uint64_t gone = static_cast<uint64_t>(r->integer);
      rows.store(now > gone ? now - gone : 0, std::memory_order_relaxed);
    }
    return absl::OkStatus();
  }

  TierStats Stats() const override {
    TierStats s;
    s.lookups = lookups_.load(std::memory_order_relaxed);
    s.hits = hits_.load(std::memory_order_relaxed);
    for (const auto& r : rows_) s.rows += r.load(std::memory_order_relaxed);
    s.bytes = s.rows * (kEncodedKeySize + row_bytes_);
    return s;
  }

  RedisClusterTierStats redis_stats() const override {
    RedisClusterTierStats s;
    s.fallthrough_keys = fallthrough_.load(std::memory_order_relaxed);
    s.dropped_upserts = dropped_.load(std::memory_order_relaxed);
    s.evicted = evicted_.load(std::memory_order_relaxed);
    s.cluster = client_->counters();
    return s;
  }

 private:
  // Keys grouped by partition, split into commands of bounded size.
  struct Chunk {
    uint32_t partition;
    size_t begin, end;  // range of Plan::order
  };
  struct Plan {
    std::vector<char> fields;   // (n, 8) encoded keys, by key position
    std::vector<size_t> order;  // key positions, grouped by partition
    std::vector<Chunk> chunks;
  };

  Plan MakePlan(absl::Span<const int64_t> keys) const {
    const size_t n = keys.size();
    const uint32_t parts = options_.partitions;
    Plan plan;
    plan.fields.resize(n * kEncodedKeySize);
    std::vector<uint32_t> part(n);
    std::vector<size_t> start(parts + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      EncodeKey(keys[i], &plan.fields[i * kEncodedKeySize]);
      part[i] =
          static_cast<uint32_t>(Mix64(static_cast<uint64_t>(keys[i])) % parts);
      ++start[part[i] + 1];
    }
    for (uint32_t p = 0; p < parts; ++p) start[p + 1] += start[p];
    plan.order.resize(n);
    std::vector<size_t> next(start.begin(), start.end() - 1);
    for (size_t i = 0; i < n; ++i) plan.order[next[part[i]]++] = i;
    for (uint32_t p = 0; p < parts; ++p) {
      for (size_t b = start[p]; b < start[p + 1];
           b += options_.max_keys_per_command) {
        plan.chunks.push_back(
            {p, b,
             std::min<size_t>(start[p + 1],
                              b + options_.max_keys_per_command)});
      }
    }
    return plan;
  }

  // Constant after construction.
  const std::string name_ = "redis_cluster";
  const uint32_t dim_;
  const size_t row_bytes_;
  const std::shared_ptr<RedisClusterClient> client_;
  const RedisClusterTierOptions options_;
  std::vector<std::string> hash_keys_;  // (partitions)
  std::vector<uint16_t> slots_;         // (partitions)
  std::string cap_per_partition_;       // decimal, the script's ARGV[1]

  // Rows per partition as last reported by the cluster (approximate).
  std::vector<std::atomic<uint64_t>> rows_;
  std::atomic<uint64_t> lookups_{0}, hits_{0}, fallthrough_{0}, dropped_{0},
      evicted_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClusterTier>> NewRedisClusterTier(
    uint32_t dim, std::shared_ptr<RedisClusterClient> client,
    const RedisClusterTierOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  if (dim == 0)
    return absl::InvalidArgumentError("redis tier: dim must be > 0");
  if (client == nullptr) {
    return absl::InvalidArgumentError("redis tier: no cluster client");
  }
  return std::unique_ptr<RedisClusterTier>(
      new RedisClusterTierImpl(dim, std::move(client), options));
}

}  // namespace strata
