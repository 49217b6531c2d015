// RedisClusterTier under cluster faults, with lookups running: slots
// migrating between masters (MOVED / ASK), and kill -9 of a master
// (fall-through to the authoritative tier, then failover and healing).
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/store/hash_map/hash_map_tier.h"
#include "engine/store/redis/redis_cluster_tier.h"
#include "engine/store/redis/redis_slot.h"
#include "engine/store/tier_chain.h"
#include "tests/integration/redis_test_util.h"

namespace strata::testing {
namespace {

constexpr uint32_t kDim = 8;
constexpr int64_t kRows = 4000;

float ValueOf(int64_t key, uint32_t j) {
  return static_cast<float>(key) * 0.5f + static_cast<float>(j);
}

std::vector<float> RowsOf(const std::vector<int64_t>& keys) {
  std::vector<float> v;
  for (int64_t k : keys) {
    for (uint32_t j = 0; j < kDim; ++j) v.push_back(ValueOf(k, j));
  }
  return v;
}

std::vector<int64_t> AllKeys() {
  std::vector<int64_t> keys;
  for (int64_t k = 0; k < kRows; ++k) keys.push_back(k * 7919 - 5000);
  return keys;
}

// Lookup load on `threads` threads until stopped; counts what went wrong.
class LookupLoad {
 public:
  // `lookup` fills values for keys and returns false when a row is missing.
  using Fn = std::function<absl::Status(const std::vector<int64_t>&,
                                        std::vector<float>*, size_t* missing)>;
  LookupLoad(int threads, Fn lookup) : lookup_(std::move(lookup)) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] { Run(t); });
    }
  }
  ~LookupLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::atomic<uint64_t> batches{0}, failed{0}, wrong{0}, missing{0};

 private:
  void Run(int seed) {
    const std::vector<int64_t> all = AllKeys();
    std::mt19937_64 rng(seed);
    while (!stop_) {
      std::vector<int64_t> keys(256);
      for (int64_t& k : keys) k = all[rng() % all.size()];
      std::vector<float> values(keys.size() * kDim, -1.0f);
      size_t miss = 0;
      absl::Status s = lookup_(keys, &values, &miss);
      ++batches;
      if (!s.ok()) {
        ++failed;
        continue;
      }
      missing += miss;
      if (values != RowsOf(keys) && miss == 0) ++wrong;
    }
  }
  Fn lookup_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace

TEST_CASE("rows stay correct while slots migrate under lookup load",
          "[redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  // Generous timeouts: this test is about redirections, and a busy CI
  // machine must not turn a slow reply into a (legitimate) fall-through.
  RedisClusterOptions co = ClientOptionsFor(*cluster);
  co.io_timeout_ms = 5000;
  absl::StatusOr<std::unique_ptr<RedisClusterClient>> client =
      RedisClusterClient::Connect(co);
  REQUIRE(client.ok());
  RedisClusterTierOptions o;
  o.table_prefix = absl::StrCat("migrate/", std::random_device{}());
  o.partitions = 6;
  auto tier = NewRedisClusterTier(kDim, std::move(*client), o);
  REQUIRE(tier.ok());
  RedisClusterTier& redis = **tier;
  const std::vector<int64_t> keys = AllKeys();
  REQUIRE(redis.Upsert(keys, RowsOf(keys)).ok());

  LookupLoad load(2, [&](const std::vector<int64_t>& k, std::vector<float>* v,
                         size_t* miss) {
    std::vector<size_t> missing;
    absl::Status s = redis.Lookup(k, absl::MakeSpan(*v), &missing);
    *miss = missing.size();
    return s;
  });
  absl::StatusOr<std::vector<int>> masters = cluster->MasterPorts();
  REQUIRE(masters.ok());
  REQUIRE(masters->size() == 3);
  // Every partition's slot moves to each other master in turn.
  for (int round = 0; round < 3; ++round) {
    for (uint32_t p = 0; p < o.partitions; ++p) {
      const std::string key = absl::StrCat("{", o.table_prefix, ":", p, "}");
      const int to = (*masters)[(p + round + 1) % masters->size()];
      absl::Status s =
          cluster->MigrateSlot(RedisKeySlot(key), to, absl::Milliseconds(50));
      REQUIRE(s.ok());
    }
  }
  absl::SleepFor(absl::Milliseconds(200));
  load.Stop();
  const RedisClusterTierStats stats = redis.redis_stats();
  INFO("batches " << load.batches << ", MOVED " << stats.cluster.moved
                  << ", ASK " << stats.cluster.ask);
  CHECK(load.batches > 0);
  CHECK(load.failed == 0);
  CHECK(load.missing == 0);
  CHECK(load.wrong == 0);
  CHECK(stats.cluster.moved > 0);
  CHECK(stats.cluster.ask > 0);
}

TEST_CASE("kill -9 of a master: lookups never fail and Redis hits resume",
          "[redis]") {
  std::string why;
  if (!RedisBinariesAvailable(&why)) {
    WARN("SKIPPED: " << why);
    return;
  }
  // Its own cluster: this test breaks it.
  RedisClusterFixtureOptions fo;
  fo.password = kRedisTestPassword;
  auto cluster = RedisClusterFixture::Start(fo);
  REQUIRE(cluster.ok());
  RedisClusterOptions co = ClientOptionsFor(**cluster);
  co.io_timeout_ms = 100;
  auto client = RedisClusterClient::Connect(co);
  REQUIRE(client.ok());
  RedisClusterTierOptions o;
  o.table_prefix = "failover";
  o.partitions = 6;
  auto redis_tier = NewRedisClusterTier(kDim, std::move(*client), o);
  REQUIRE(redis_tier.ok());
  RedisClusterTier* redis = redis_tier->get();
  auto authoritative = NewHashMapTier(kDim, HashMapTierOptions());
  REQUIRE(authoritative.ok());
  const std::vector<int64_t> keys = AllKeys();
  REQUIRE(redis->Upsert(keys, RowsOf(keys)).ok());
  REQUIRE((*authoritative)->Upsert(keys, RowsOf(keys)).ok());
  REQUIRE((*cluster)->WaitReplicasInSync(absl::Seconds(30)).ok());
  std::vector<std::unique_ptr<Tier>> tiers;
  tiers.push_back(std::move(*redis_tier));
  tiers.push_back(std::move(*authoritative));
  TierChain chain(std::move(tiers), 0.0f);

  LookupLoad load(2, [&](const std::vector<int64_t>& k, std::vector<float>* v,
                         size_t* miss) {
    std::vector<size_t> defaulted;
    absl::Status s = chain.Lookup(k, absl::MakeSpan(*v), &defaulted);
    *miss = defaulted.size();
    return s;
  });
  const std::string key0 = absl::StrCat("{", o.table_prefix, ":0}");
  absl::StatusOr<int> victim = (*cluster)->MasterOf(RedisKeySlot(key0));
  REQUIRE(victim.ok());
  absl::SleepFor(absl::Milliseconds(200));
  (*cluster)->Kill9(*victim);
  REQUIRE((*cluster)->WaitHealthy(absl::Seconds(60)).ok());

  // Redis serves the dead master's rows again once the client has healed.
  std::vector<int64_t> probe(keys.begin(), keys.begin() + 512);
  bool resumed = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!resumed && absl::Now() < deadline) {
    std::vector<float> values(probe.size() * kDim);
    std::vector<size_t> missing;
    REQUIRE(redis->Lookup(probe, absl::MakeSpan(values), &missing).ok());
    resumed = missing.empty();
    if (!resumed) absl::SleepFor(absl::Milliseconds(100));
  }
  load.Stop();
  const RedisClusterTierStats stats = redis->redis_stats();
  INFO("batches " << load.batches << ", fell through " << stats.fallthrough_keys
                  << ", dropped upserts " << stats.dropped_upserts);
  CHECK(resumed);
  CHECK(stats.fallthrough_keys > 0);
  CHECK(load.batches > 0);
  CHECK(load.failed == 0);
  CHECK(load.missing == 0);
  CHECK(load.wrong == 0);
}

}  // namespace strata::testing
