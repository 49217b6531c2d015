// End to end, HPS migration: a HugeCTR ps.json (two models, a Redis Cluster
// volatile DB, RocksDB, Kafka) converted by `strata convert-hps`, served by
// strata-server from the result: the first start imports the models' sparse
// files, a restart reopens them.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
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

// Waits until the server serves `count` models (the first start's imports).
void WaitForModels(StrataClient& client, int count) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::minutes(2);
  for (;;) {
    auto models = client.ListModels();
    if (models.ok() && models->models_size() == count) return;
    REQUIRE(std::chrono::steady_clock::now() < give_up);  // a hang, not speed
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

TEST_CASE("an HPS ps.json converts and serves its models", "[e2e][redis]") {
  STRATA_REQUIRE_REDIS_CLUSTER(cluster);
  TempDir dir;
  const std::string ctr = dir.path() + "/ctr", wdl = dir.path() + "/wdl";
  REQUIRE(RunCommand({kCli, "gen-model", "--out", ctr, "--tables", "2",
                      "--rows", "400", "--dim", "8", "--seed", "3"})
              .exit_code == 0);
  REQUIRE(RunCommand({kCli, "gen-model", "--out", wdl, "--tables", "1",
                      "--rows", "100", "--dim", "4", "--seed", "5"})
              .exit_code == 0);
  // Written from HugeCTR's documented HPS schema.
  nlohmann::json ps = {
      {"supportlonglong", true},
      {"volatile_db",
       {{"type", "redis_cluster"},
        {"address", absl::StrJoin(cluster->seeds(), ",")},
        {"user_name", "default"},
        {"password", kRedisTestPassword},
        {"num_partitions", 4},
        {"overflow_margin", 10000000},
        {"initial_cache_rate", 0.0}}},
      {"persistent_db",
       {{"type", "rocks_db"},
        {"path", dir.path() + "/data"},
        {"num_threads", 16},
        {"read_only", false}}},
      {"update_source",
       {{"type", "kafka_message_queue"}, {"brokers", "127.0.0.1:1"}}},
      {"models",
       {{{"model", "ctr"},
         {"sparse_files", {ctr + "/t0.model", ctr + "/t1.model"}},
         {"dense_file", "/models/ctr/_dense_10000.model"},
         {"network_file", "/models/ctr/ctr.json"},
         {"num_of_worker_buffer_in_pool", 2},
         {"deployed_device_list", {0}},
         {"max_batch_size", 64},
         {"default_value_for_each_table", {0.0, 0.0}},
         {"maxnum_catfeature_query_per_table_per_sample", {2, 26}},
         {"embedding_vecsize_per_table", {8, 8}},
         {"embedding_table_names", {"user", "item"}},
         {"hit_rate_threshold", 0.9},
         {"gpucache", true},
         {"gpucacheper", 0.5}},
        {{"model", "wdl"},
         {"sparse_files", {wdl + "/t0.model"}},
         {"dense_file", "/models/wdl/_dense_10000.model"},
         {"network_file", "/models/wdl/wdl.json"},
         {"max_batch_size", 32},
         {"default_value_for_each_table", {0.5}},
         {"embedding_vecsize_per_table", {4}},
         {"embedding_table_names", {"wide"}},
         {"gpucache", true},
         {"gpucacheper", 0.5}}}}};
  const std::string ps_path = dir.path() + "/ps.json";
  std::ofstream(ps_path) << ps.dump(2);

  CommandResult converted = RunCommand({kCli, "convert-hps", ps_path});
  INFO(converted.err);
  REQUIRE(converted.exit_code == 0);
  CHECK(converted.err.find("dense_file") != std::string::npos);
  CHECK(converted.err.find("network_file") != std::string::npos);
  nlohmann::json config = nlohmann::json::parse(converted.out);
  CHECK(config["data_dir"] == dir.path() + "/data");
  CHECK(config["kafka_brokers"] == "127.0.0.1:1");
  CHECK(config["hps_models"].size() == 2);
  config["metrics_listen"] = "";
  // No device here: the GPU cache tier is the host reference backend.
  config["gpu_cache_backend"] = "reference";
  const std::string config_path = dir.path() + "/strata.json";
  std::ofstream(config_path) << config.dump(2);

  for (int start = 0; start < 2; ++start) {
    ServerProcess server(kServer, {"--config", config_path}, dir.path());
    INFO(server.log());
    REQUIRE(server.running());
    StrataClient client({server.target(), 10000});
    WaitForModels(client, 2);

    v1::LookupRequest request;
    request.set_model("ctr");
    for (const char* table : {"user", "item"}) {
      v1::TableKeys* t = request.add_tables();
      t->set_table(table);
      for (int64_t k : {3, 399, 5000}) t->add_keys(k);
    }
    auto reply = client.Lookup(request);
    REQUIRE(reply.ok());
    std::vector<float> row(8);
    for (int table = 0; table < 2; ++table) {
      CopyRow(reply->tables(table), 1, row.data());
      for (uint32_t j = 0; j < 8; ++j) {
        CHECK(row[j] == GeneratedValue(3, table, 399, j));
      }
      CHECK(reply->tables(table).is_default(2));
    }
    v1::LookupRequest wide;
    wide.set_model("wdl");
    v1::TableKeys* t = wide.add_tables();
    t->set_table("wide");
    for (int64_t k : {7, -1}) t->add_keys(k);
    auto wide_reply = client.Lookup(wide);
    REQUIRE(wide_reply.ok());
    std::vector<float> w(4);
    CopyRow(wide_reply->tables(0), 0, w.data());
    CHECK(w[2] == GeneratedValue(5, 0, 7, 2));
    CopyRow(wide_reply->tables(0), 1, w.data());
    CHECK(w == std::vector<float>(4, 0.5f));  // the table's default value
    REQUIRE(server.Stop() == 0);
    // The first start imports; the second reopens what it imported.
    const bool imported =
        server.log().find("first start: importing model") != std::string::npos;
    CHECK(imported == (start == 0));
  }
}

}  // namespace strata::testing
