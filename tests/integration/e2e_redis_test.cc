// End to end with the shared CPU tier: strata-server reading hash map ->
// Redis Cluster -> RocksDB, against a real 3+3 cluster on loopback.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "client/strata_client.h"
#include "engine/model/model_generator.h"
#include "nlohmann/json.hpp"
#include "tests/integration/redis_test_util.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;

uint64_t TierHits(const v1::GetStatsResponse& stats, const std::string& tier) {
  for (const v1::TierStats& t : stats.tiers()) {
    if (t.tier() == tier) return t.hits();
  }
  return 0;
}

}  // namespace

TEST_CASE("strata-server serves through a Redis Cluster tier", "[e2e][redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  TempDir dir;
  const std::string model_dir = dir.path() + "/model";
  const std::string data_dir = dir.path() + "/data";
  REQUIRE(RunCommand({kCli, "gen-model", "--out", model_dir, "--tables", "2",
                      "--rows", "500", "--dim", "8", "--seed", "3"})
              .exit_code == 0);
  REQUIRE(RunCommand({kCli, "import", "--data-dir", data_dir, "--model", "m",
                      "--from", model_dir})
              .exit_code == 0);
  const std::string seeds = absl::StrJoin(cluster->seeds(), ",");
  ServerProcess server(
      kServer,
      {"--data-dir", data_dir, "--redis-cluster", seeds, "--redis-password",
       kRedisTestPassword, "--hash-map-capacity-bytes", "0"},
      dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});

  v1::LookupRequest request;
  request.set_model("m");
  v1::TableKeys* t = request.add_tables();
  t->set_table("t1");
  const std::vector<int64_t> keys = {4, 499, 7000, 4, 123};
  t->mutable_keys()->Add(keys.begin(), keys.end());
  for (int round = 0; round < 2; ++round) {
    auto reply = client.Lookup(request);
    REQUIRE(reply.ok());
    std::vector<float> row(8);
    for (size_t i = 0; i < keys.size(); ++i) {
      CopyRow(reply->tables(0), i, row.data());
      const bool absent = keys[i] == 7000;
      CHECK(reply->tables(0).is_default(static_cast<int>(i)) == absent);
      if (!absent) {
        for (uint32_t j = 0; j < 8; ++j) {
          CHECK(row[j] == GeneratedValue(3, 1, keys[i], j));
        }
      }
    }
  }
  // The second round found the rows the first one filled into Redis.
  auto stats = client.GetStats();
  REQUIRE(stats.ok());
  CHECK(TierHits(*stats, "redis_cluster") >= 3);
  CHECK(server.Stop() == 0);
}

TEST_CASE(
    "a wrong Redis password stops the server at start, naming the "
    "address",
    "[e2e][redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  TempDir dir;
  const std::string seed = cluster->seeds().front();
  ServerProcess server(kServer,
                       {"--data-dir", dir.path() + "/data", "--redis-cluster",
                        seed, "--redis-password", "wrong"},
                       dir.path());
  CHECK_FALSE(server.running());
  CHECK(server.WaitExit() != 0);
  CHECK_THAT(server.log(), Catch::Contains(seed));
}

}  // namespace strata::testing

namespace strata::testing {

TEST_CASE("strata bench --compare-redis loads the rows and measures MGET",
          "[e2e][redis][bench]") {
  std::string reason;
  if (!RedisBinariesAvailable(&reason)) {
    WARN("SKIPPED: " << reason);
    return;
  }
  TempDir dir;
  auto redis = RedisProcess::Start(dir.path() + "/redis", {}, "");
  REQUIRE(redis.ok());
  const std::string model_dir = dir.path() + "/model";
  const std::string data_dir = dir.path() + "/data";
  REQUIRE(RunCommand({kCli, "gen-model", "--out", model_dir, "--tables", "3",
                      "--rows", "200", "--dim", "4"})
              .exit_code == 0);
  REQUIRE(RunCommand({kCli, "import", "--data-dir", data_dir, "--model", "m",
                      "--from", model_dir})
              .exit_code == 0);
  ServerProcess server(kServer, {"--data-dir", data_dir}, dir.path());
  REQUIRE(server.running());
  CommandResult r = RunCommand(
      {kCli, "bench", "--target", server.target(), "--model", "m", "--batch",
       "8", "--concurrency", "2", "--duration", "0.5", "--warmup", "0.1",
       "--compare-redis", (*redis)->address(), "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["errors"].get<uint64_t>() == 0);
  CHECK(j["redis"]["count"].get<uint64_t>() > 0);
  // Every MGET found every row (a missing one counts as an error).
  CHECK(j["redis"]["errors"].get<uint64_t>() == 0);
  CHECK(j["redis"]["keys_per_s"].get<double>() > 0);
  CHECK(server.Stop() == 0);
}

}  // namespace strata::testing
