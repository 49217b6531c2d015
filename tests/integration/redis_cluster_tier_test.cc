// RedisClusterTier against a real 3+3 Redis Cluster on loopback: the Tier
// contract, bad configurations, eviction, slot migration and failover under
// lookup load.
#include "engine/store/redis/redis_cluster_tier.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/store/redis/redis_slot.h"
#include "tests/integration/redis_test_util.h"
#include "tests/unit/tier_contract.h"

namespace strata::testing {
namespace {

class RedisHolder final : public TierHolder {
 public:
  explicit RedisHolder(std::unique_ptr<Tier> tier) : tier_(std::move(tier)) {}
  Tier& tier() override { return *tier_; }

 private:
  std::unique_ptr<Tier> tier_;
};

std::shared_ptr<RedisClusterClient> Connect(const RedisClusterFixture& f) {
  absl::StatusOr<std::unique_ptr<RedisClusterClient>> c =
      RedisClusterClient::Connect(ClientOptionsFor(f));
  REQUIRE(c.ok());
  return std::move(*c);
}

std::unique_ptr<RedisClusterTier> MakeTier(
    std::shared_ptr<RedisClusterClient> client, uint32_t dim,
    const RedisClusterTierOptions& o) {
  absl::StatusOr<std::unique_ptr<RedisClusterTier>> t =
      NewRedisClusterTier(dim, std::move(client), o);
  REQUIRE(t.ok());
  return std::move(*t);
}

// A unique table per call, so tiers never see each other's rows.
std::string FreshPrefix(const std::string& stem) {
  static int counter = 0;
  static const uint64_t run = std::random_device{}();
  return absl::StrCat(stem, "/", run, "/", ++counter);
}

}  // namespace

TEST_CASE("RedisClusterTier passes the Tier contract", "[redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  std::shared_ptr<RedisClusterClient> client = Connect(*cluster);
  RunTierContract([&](uint32_t dim) -> std::unique_ptr<TierHolder> {
    RedisClusterTierOptions o;
    o.table_prefix = FreshPrefix("contract");
    o.partitions = 8;
    return std::make_unique<RedisHolder>(MakeTier(client, dim, o));
  });
}

TEST_CASE("bad redis configurations fail at creation naming the address",
          "[redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  const std::string seed = cluster->seeds()[0];

  SECTION("wrong password") {
    RedisClusterOptions o = ClientOptionsFor(*cluster);
    o.seeds = {seed};
    o.password = "not-the-password";
    auto c = RedisClusterClient::Connect(o);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(absl::StrContains(c.status().message(), seed));
  }
  SECTION("no password where one is required") {
    RedisClusterOptions o = ClientOptionsFor(*cluster);
    o.seeds = {seed};
    o.password = "";
    auto c = RedisClusterClient::Connect(o);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(absl::StrContains(c.status().message(), seed));
  }
  SECTION("unreachable seed") {
    RedisClusterOptions o;
    o.seeds = {"127.0.0.1:1"};
    auto c = RedisClusterClient::Connect(o);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kUnavailable);
    CHECK(absl::StrContains(c.status().message(), "127.0.0.1:1"));
  }
  SECTION("a redis without cluster support") {
    const std::string dir = MakeTempDir("strata-redis-single");
    auto single = RedisProcess::Start(dir, {}, "");
    REQUIRE(single.ok());
    RedisClusterOptions o;
    o.seeds = {(*single)->address()};
    auto c = RedisClusterClient::Connect(o);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(absl::StrContains(c.status().message(), (*single)->address()));
    CHECK(absl::StrContains(c.status().message(), "not a cluster node"));
    single->reset();
    std::filesystem::remove_all(dir);
  }
  SECTION("bad tier options") {
    RedisClusterTierOptions o;
    o.table_prefix = "m@1/{t0}";
    CHECK_FALSE(o.Validate().ok());
    o.table_prefix = "m@1/t0";
    o.capacity_bytes = 0;
    CHECK_FALSE(o.Validate().ok());
  }
}

TEST_CASE("eviction keeps a table within its capacity", "[redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  constexpr uint32_t kDim = 8;
  constexpr uint64_t kCapacityRows = 1000;
  RedisClusterTierOptions o;
  o.table_prefix = FreshPrefix("evict");
  o.partitions = 4;
  o.capacity_bytes = kCapacityRows * (8 + 4 * kDim);
  auto tier = MakeTier(Connect(*cluster), kDim, o);

  std::vector<int64_t> last;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<int64_t> keys;
    for (int i = 0; i < 500; ++i) keys.push_back(batch * 500 + i);
    std::vector<float> rows(keys.size() * kDim, static_cast<float>(batch));
    REQUIRE(tier->Upsert(keys, rows).ok());
    last = keys;
  }
  // What the servers hold, counted on the servers.
  uint64_t held = 0;
  for (uint32_t p = 0; p < o.partitions; ++p) {
    const std::string key = absl::StrCat("{", o.table_prefix, ":", p, "}");
    absl::StatusOr<int> port = cluster->MasterOf(RedisKeySlot(key));
    REQUIRE(port.ok());
    absl::StatusOr<std::string> n = cluster->Command(*port, {"HLEN", key});
    REQUIRE(n.ok());
    uint64_t len = 0;
    REQUIRE(absl::SimpleAtoi(*n, &len));
    held += len;
  }
  CHECK(held <= kCapacityRows);
  CHECK(held >= kCapacityRows - o.partitions);
  CHECK(tier->Stats().rows == held);
  CHECK(tier->redis_stats().evicted == 10000 - held);
  // The newest rows were kept: eviction prefers rows not just written.
  std::vector<float> values(last.size() * kDim);
  std::vector<size_t> missing;
  REQUIRE(tier->Lookup(last, absl::MakeSpan(values), &missing).ok());
  CHECK(missing.empty());
  CHECK(values[0] == 19.0f);
}

}  // namespace strata::testing
