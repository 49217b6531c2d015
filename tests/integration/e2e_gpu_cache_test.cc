// End to end through a live strata-server whose tier 1 is the GPU cache on
// its reference backend (the GPU path without a GPU): rows equal the
// imported ones, defaults are flagged, sync and async fills, capacity holds,
// and an update pushed under lookup load is visible at once and never undone
// by a stale fill.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/strata_client.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
constexpr int kRows = 2000;
constexpr int kDim = 8;

// One table t0 (keys 0..kRows-1), imported with default value 0.5.
struct CachedModel {
  TempDir dir;
  std::string model_dir = dir.path() + "/model";
  std::string data_dir = dir.path() + "/data";
  std::map<int64_t, std::vector<float>> rows;

  CachedModel() {
    REQUIRE(RunCommand({kCli, "gen-model", "--out", model_dir, "--tables", "1",
                        "--rows", std::to_string(kRows), "--dim",
                        std::to_string(kDim)})
                .exit_code == 0);
    REQUIRE(RunCommand({kCli, "import", "--data-dir", data_dir, "--model",
                        "demo", "--from", model_dir, "--default-value", "0.5"})
                .exit_code == 0);
    const std::vector<char> keys = ReadFile(model_dir + "/t0.model/key");
    const std::vector<char> emb = ReadFile(model_dir + "/t0.model/emb_vector");
    for (size_t i = 0; i < keys.size() / 8; ++i) {
      int64_t k;
      std::memcpy(&k, &keys[i * 8], 8);
      std::vector<float> row(kDim);
      std::memcpy(row.data(), &emb[i * kDim * 4], kDim * 4);
      rows[k] = row;
    }
  }

  std::vector<std::string> ServerArgs(const std::string& hit_rate) const {
    return {"--data-dir",
            data_dir,
            "--gpu-cache-backend",
            "reference",
            "--gpu-cache-fraction",
            "0.05",
            "--hash-map-capacity-bytes",
            "0",
            "--hit-rate-threshold",
            hit_rate};
  }
};

v1::LookupRequest Request(const std::vector<int64_t>& keys) {
  v1::LookupRequest r;
  r.set_model("demo");
  v1::TableKeys* t = r.add_tables();
  t->set_table("t0");
  t->mutable_keys()->Add(keys.begin(), keys.end());
  return r;
}

std::vector<float> Row(const v1::LookupResponse& reply, size_t i) {
  std::vector<float> row(kDim);
  CopyRow(reply.tables(0), i, row.data());
  return row;
}

const v1::TierStats* FindTier(const v1::GetStatsResponse& stats,
                              const std::string& name) {
  for (const v1::TierStats& t : stats.tiers()) {
    if (t.tier() == name) return &t;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the GPU cache (reference backend) serves Lookup end to end",
          "[e2e]") {
  CachedModel m;
  // 2 = every fill before the reply; 0 = every fill in the background.
  for (const char* hit_rate : {"2", "0"}) {
    INFO("hit_rate_threshold " << hit_rate);
    ServerProcess server(kServer, m.ServerArgs(hit_rate), m.dir.path());
    INFO(server.log());
    REQUIRE(server.running());
    StrataClient client({server.target(), 5000});
    std::mt19937_64 rng(7);
    for (int request = 0; request < 300; ++request) {
      std::vector<int64_t> keys(64);
      for (int64_t& k : keys) {
        // Mostly a hot set that fits the cache, some cold keys, some absent.
        const uint64_t r = rng() % 10;
        k = r < 7 ? rng() % 40 : r < 9 ? rng() % kRows : kRows + rng() % 50;
      }
      auto reply = client.Lookup(Request(keys));
      REQUIRE(reply.ok());
      for (size_t i = 0; i < keys.size(); ++i) {
        const bool absent = keys[i] >= kRows;
        REQUIRE(reply->tables(0).is_default(i) == absent);
        REQUIRE(Row(*reply, i) ==
                (absent ? std::vector<float>(kDim, 0.5f) : m.rows[keys[i]]));
      }
    }
    auto stats = client.GetStats();
    REQUIRE(stats.ok());
    const v1::TierStats* gpu = FindTier(*stats, "gpu_cache");
    REQUIRE(gpu != nullptr);
    CHECK(gpu->lookups() >= 300 * 64);
    CHECK(gpu->hits() > gpu->lookups() / 2);  // the hot set stays cached
    // 5 % of 2000 rows = 100, whole sets of 8 ways: 96 slots at most.
    CHECK(gpu->rows() > 0);
    CHECK(gpu->rows() <= 96);
    CHECK_THAT(server.log(), Catch::Contains("gpu cache demo@1/t0: 96 rows"));
    CHECK(server.Stop() == 0);
  }
}

TEST_CASE("an update pushed under lookup load reaches the GPU cache", "[e2e]") {
  CachedModel m;
  ServerProcess server(kServer, m.ServerArgs("0"), m.dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread load([&] {
    StrataClient loader({server.target(), 5000});
    std::mt19937_64 rng(3);
    while (!stop) {
      std::vector<int64_t> keys(32);
      for (int64_t& k : keys) k = rng() % 60;
      if (!loader.Lookup(Request(keys)).ok()) ++failures;
    }
  });
  auto channel =
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto admin = v1::Admin::NewStub(channel);
  for (int round = 0; round < 40; ++round) {
    const int64_t key = round % 30;
    const std::vector<float> row(kDim, 1000.0f + round);
    v1::PushUpdatesRequest push;
    v1::UpdateBatch* b = push.add_batches();
    b->set_model("demo");
    b->set_table("t0");
    b->set_dim(kDim);
    b->add_keys(key);
    b->set_values(reinterpret_cast<const char*>(row.data()), kDim * 4);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    v1::PushUpdatesResponse pushed;
    REQUIRE(admin->PushUpdates(&context, push, &pushed).ok());
    // Visible at once, and still so after the load's fills of that key.
    for (int probe = 0; probe < 20; ++probe) {
      auto reply = client.Lookup(Request({key}));
      REQUIRE(reply.ok());
      REQUIRE(Row(*reply, 0) == row);
    }
  }
  stop = true;
  load.join();
  CHECK(failures.load() == 0);
  CHECK(server.Stop() == 0);
}

}  // namespace strata::testing
