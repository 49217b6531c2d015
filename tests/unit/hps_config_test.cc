// ConvertHpsConfig: HugeCTR HPS ps.json -> Strata server options, models and
// warnings; every malformed config is INVALID_ARGUMENT naming the field.
#include "engine/builder/hps_config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace strata::testing {
namespace {

using Catch::Matchers::Contains;
using nlohmann::json;

// Two models on a Redis Cluster, RocksDB and Kafka, written from the
// documented HPS schema.
const char kPsJson[] = R"({
  "supportlonglong": true,
  "volatile_db": {
    "type": "redis_cluster",
    "address": "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3",
    "user_name": "hps",
    "password": "secret",
    "num_partitions": 24,
    "max_batch_size": 65536,
    "overflow_margin": 10000000,
    "overflow_policy": "evict_random",
    "overflow_resolution_target": 0.8,
    "initial_cache_rate": 1.0,
    "cache_missed_embeddings": true,
    "update_filters": [".+"]
  },
  "persistent_db": {
    "type": "rocks_db",
    "path": "/data/rocksdb",
    "num_threads": 16,
    "read_only": false,
    "max_batch_size": 65536,
    "update_filters": [".+"]
  },
  "update_source": {
    "type": "kafka_message_queue",
    "brokers": "kafka-0:9092;kafka-1:9092",
    "metadata_refresh_interval_ms": 30000,
    "poll_timeout_ms": 500,
    "receive_buffer_size": 262144,
    "max_batch_size": 8192,
    "failure_backoff_ms": 50,
    "max_commit_interval": 32
  },
  "models": [
    {
      "model": "wdl",
      "sparse_files": ["/wdl/1/wdl0_sparse_20000.model",
                       "/wdl/1/wdl1_sparse_20000.model"],
      "dense_file": "/wdl/1/wdl_dense_20000.model",
      "network_file": "/wdl/1/wdl.json",
      "num_of_worker_buffer_in_pool": 4,
      "num_of_refresher_buffer_in_pool": 1,
      "deployed_device_list": [0, 1],
      "max_batch_size": 64,
      "default_value_for_each_table": [0.0, 0.5],
      "maxnum_des_feature_per_sample": 13,
      "maxnum_catfeature_query_per_table_per_sample": [2, 26],
      "embedding_vecsize_per_table": [1, 16],
      "embedding_table_names": ["wide", "deep"],
      "hit_rate_threshold": 0.9,
      "gpucache": true,
      "gpucacheper": 0.1,
      "use_static_table": false,
      "cache_refresh_percentage_per_iteration": 0.2
    },
    {
      "model": "dcn",
      "sparse_files": ["/dcn/1/dcn0_sparse_10000.model"],
      "dense_file": "/dcn/1/dcn_dense_10000.model",
      "network_file": "/dcn/1/dcn.json",
      "deployed_device_list": [1, 2],
      "max_batch_size": 1024,
      "embedding_vecsize_per_table": [16],
      "embedding_table_names": ["sparse_embedding1"],
      "hit_rate_threshold": 0.8,
      "gpucache": true,
      "gpucacheper": 0.1
    }
  ]
})";

HpsConversion Convert(const std::string& text) {
  absl::StatusOr<HpsConversion> c = ConvertHpsConfig(text);
  INFO(c.status().message());
  REQUIRE(c.ok());
  return *std::move(c);
}

bool HasWarning(const HpsConversion& c, const std::string& part) {
  return std::any_of(
      c.warnings.begin(), c.warnings.end(),
      [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

// A one-model config with `extra` spliced into the top level and `model_extra`
// into the model.
std::string WithModel(const std::string& extra,
                      const std::string& model_extra = "") {
  return R"({)" + extra + R"( "models": [{"model": "m",
      "sparse_files": ["/x/a.model"], "embedding_vecsize_per_table": [8])" +
         model_extra + "}]}";
}

}  // namespace

TEST_CASE("a Redis + RocksDB + Kafka ps.json with two models converts",
          "[hps]") {
  HpsConversion c = Convert(kPsJson);
  CHECK(c.options == json::parse(R"({
    "data_dir": "/data/rocksdb",
    "redis_cluster": "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:6379",
    "redis_user": "hps",
    "redis_password": "secret",
    "redis_partitions": 24,
    "kafka_brokers": "kafka-0:9092,kafka-1:9092",
    "kafka_hps_topics": true,
    "kafka_metadata_refresh_ms": 30000,
    "hit_rate_threshold": 0.9,
    "gpu_cache_backend": "auto",
    "gpu_cache_fraction": 0.1,
    "max_infer_batch": 1024,
    "gpu_devices": "0,1,2"
  })"));

  REQUIRE(c.models.size() == 2);
  CHECK(c.models[0].name == "wdl");
  CHECK(c.models[0].table_names == std::vector<std::string>{"wide", "deep"});
  CHECK(c.models[0].sparse_files[1] == "/wdl/1/wdl1_sparse_20000.model");
  CHECK(c.models[0].dims == std::vector<uint32_t>{1, 16});
  CHECK(c.models[0].default_values == std::vector<float>{0.0f, 0.5f});
  CHECK(c.models[1].name == "dcn");
  CHECK(c.models[1].table_names ==
        std::vector<std::string>{"sparse_embedding1"});
  CHECK(c.models[1].default_values == std::vector<float>{0.0f});

  // dense_file and network_file: one warning each, for both models.
  CHECK(std::count_if(c.warnings.begin(), c.warnings.end(),
                      [](const std::string& w) {
                        return w.find("dense_file") != std::string::npos;
                      }) == 1);
  CHECK(HasWarning(c, "models[].dense_file: not honoured"));
  CHECK(HasWarning(c, "strata import --dense"));
  CHECK(HasWarning(c, "models[].network_file: not honoured"));
  CHECK(HasWarning(c, "hit_rate_threshold 0.8 differs"));
  CHECK(HasWarning(c, "models[].cache_refresh_percentage_per_iteration"));
  for (const char* field :
       {"volatile_db.max_batch_size", "volatile_db.overflow_margin",
        "volatile_db.overflow_policy", "volatile_db.overflow_resolution_target",
        "volatile_db.initial_cache_rate", "persistent_db.num_threads",
        "persistent_db.max_batch_size", "update_source.poll_timeout_ms",
        "update_source.receive_buffer_size", "update_source.max_batch_size",
        "update_source.failure_backoff_ms",
        "update_source.max_commit_interval"}) {
    INFO(field);
    CHECK(HasWarning(c, field));
  }
  // Settings Strata already honours, or that size HugeCTR's buffers only.
  for (const char* quiet : {"cache_missed_embeddings", "update_filters",
                            "read_only", "supportlonglong", "use_static_table",
                            "num_of_worker_buffer", "maxnum_", "unknown"}) {
    INFO(quiet);
    CHECK_FALSE(HasWarning(c, quiet));
  }
  // Each text once.
  std::vector<std::string> sorted = c.warnings;
  std::sort(sorted.begin(), sorted.end());
  CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());

  json models = HpsModelsJson(c.models);
  CHECK(models[0] == json::parse(R"({"model": "wdl", "tables": [
    {"name": "wide", "sparse_file": "/wdl/1/wdl0_sparse_20000.model",
     "dim": 1, "default_value": 0.0},
    {"name": "deep", "sparse_file": "/wdl/1/wdl1_sparse_20000.model",
     "dim": 16, "default_value": 0.5}]})"));
  CHECK(models[1]["tables"][0]["name"] == "sparse_embedding1");
}

TEST_CASE("hash-map volatile_db maps overflow policies and partitions",
          "[hps]") {
  const std::vector<std::pair<std::string, std::string>> policies = {
      {"evict_random", "random"},
      {"evict_least_used", "lfu"},
      {"evict_oldest", "lru"}};
  for (const auto& [hps, strata] : policies) {
    for (const char* type : {"hash_map", "parallel_hash_map"}) {
      HpsConversion c = Convert(WithModel(
          std::string(R"("volatile_db": {"type": ")") + type +
          R"(", "num_partitions": 8, "overflow_policy": ")" + hps +
          R"("}, "persistent_db": {"type": "rocks_db", "path": "/d"},)"));
      CHECK(c.options["hash_map_policy"] == strata);
      CHECK(c.options["hash_map_partitions"] == 8);
      CHECK_FALSE(c.options.contains("redis_cluster"));
      CHECK_FALSE(c.options.contains("hash_map_capacity_bytes"));
      CHECK_FALSE(HasWarning(c, "overflow_policy"));
    }
  }
  HpsConversion many = Convert(WithModel(
      R"("volatile_db": {"type": "hash_map", "num_partitions": 64},)"));
  CHECK(many.options["hash_map_partitions"] == 16);
  CHECK(HasWarning(many, "volatile_db.num_partitions 64 clamped to 16"));
  HpsConversion none = Convert(WithModel(
      R"("volatile_db": {"type": "hash_map", "num_partitions": 0},)"));
  CHECK(none.options["hash_map_partitions"] == 1);
  CHECK(HasWarning(none, "volatile_db.num_partitions 0 clamped to 1"));
  HpsConversion odd = Convert(
      WithModel(R"("volatile_db": {"overflow_policy": "evict_everything"},)"));
  CHECK_FALSE(odd.options.contains("hash_map_policy"));
  CHECK(HasWarning(odd, "volatile_db.overflow_policy \"evict_everything\""));
}

TEST_CASE("persistent_db disabled or read_only is a warning", "[hps]") {
  HpsConversion disabled = Convert(
      WithModel(R"("persistent_db": {"type": "disabled", "path": "/d"},)"));
  CHECK_FALSE(disabled.options.contains("data_dir"));
  CHECK(HasWarning(disabled, "persistent_db.type disabled"));
  HpsConversion absent = Convert(WithModel(""));
  CHECK(HasWarning(absent, "persistent_db absent"));
  HpsConversion read_only = Convert(WithModel(
      R"("persistent_db": {"type": "rocks_db", "read_only": true},)"));
  CHECK(HasWarning(read_only, "persistent_db.read_only true"));
}

TEST_CASE("gpucache false turns the GPU cache off", "[hps]") {
  HpsConversion c = Convert(WithModel("", R"(, "gpucache": false)"));
  CHECK(c.options["gpu_cache_backend"] == "off");
  CHECK_FALSE(c.options.contains("gpu_cache_fraction"));
  HpsConversion d = Convert(WithModel("", R"(, "gpucache": true)"));
  CHECK(d.options["gpu_cache_fraction"] == 0.2);  // HPS's default
}

TEST_CASE("table names come from the folders without embedding_table_names",
          "[hps]") {
  HpsConversion c = Convert(R"({"models": [{"model": "m",
      "sparse_files": ["/m/1/m0_sparse_2000.model", "rel/other.model/",
                       "plain"],
      "embedding_vecsize_per_table": [4, 8, 2]}]})");
  REQUIRE(c.models.size() == 1);
  CHECK(c.models[0].table_names ==
        std::vector<std::string>{"m0_sparse_2000", "other", "plain"});
  CHECK(c.models[0].default_values == std::vector<float>{0, 0, 0});
  CHECK_FALSE(HasWarning(c, "embedding_table_names"));
  // With Kafka, the topic names HugeCTR uses may not match: say so.
  HpsConversion k = Convert(
      R"({"update_source": {"type": "kafka_message_queue"},
          "models": [{"model": "m", "sparse_files": ["/m/t.model"],
                      "embedding_vecsize_per_table": [4]}]})");
  CHECK(k.options["kafka_brokers"] == "127.0.0.1:9092");
  CHECK(HasWarning(k, "without embedding_table_names"));
}

TEST_CASE("unknown fields are warnings, not failures", "[hps]") {
  HpsConversion c = Convert(WithModel(
      R"("shiny": 1, "volatile_db": {"type": "hash_map", "turbo": true},
         "update_source": {"type": "kafka", "brokers": "k:1", "x": 2},)",
      R"(, "model_color": "blue")"));
  CHECK(HasWarning(c, "unknown field shiny ignored"));
  CHECK(HasWarning(c, "unknown field volatile_db.turbo ignored"));
  CHECK(HasWarning(c, "unknown field update_source.x ignored"));
  CHECK(HasWarning(c, "unknown field models[].model_color ignored"));
  CHECK(c.models.size() == 1);
}

TEST_CASE("malformed configs are INVALID_ARGUMENT naming the field", "[hps]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[1, 2]", "not a JSON object"},
      {"{}", "models is missing"},
      {R"({"models": []})", "models is empty"},
      {R"({"models": {}})", "models must be a list"},
      {R"({"models": [{"sparse_files": ["a.model"]}]})", "models[0]: model"},
      {R"({"models": [{"model": "bad name!", "sparse_files": ["a"],
           "embedding_vecsize_per_table": [4]}]})",
       "models[0].model"},
      {R"({"models": [{"model": "m", "sparse_files": [],
           "embedding_vecsize_per_table": []}]})",
       "models[0] \"m\": sparse_files is empty"},
      {R"({"models": [{"model": "m", "sparse_files": ["a", "b"],
           "embedding_vecsize_per_table": [4]}]})",
       "\"m\": embedding_vecsize_per_table has 1 entries"},
      {R"({"models": [{"model": "m", "sparse_files": ["a"]}]})",
       "\"m\": embedding_vecsize_per_table is missing"},
      {WithModel("", R"(, "embedding_table_names": ["a", "b"])"),
       "\"m\": embedding_table_names has 2 entries"},
      {WithModel("", R"(, "default_value_for_each_table": [0, 1])"),
       "\"m\": default_value_for_each_table has 2 entries"},
      {R"({"models": [{"model": "m", "sparse_files": ["a", "b"],
           "embedding_vecsize_per_table": [4, 0]}]})",
       "\"m\": embedding_vecsize_per_table[1] is 0"},
      {R"({"models": [{"model": "m", "sparse_files": ["x/a.model", "y/a"],
           "embedding_vecsize_per_table": [4, 4]}]})",
       "\"m\": sparse_files[1] (table named after it): table \"a\" appears"},
      {R"({"models": [{"model": "m", "sparse_files": ["a"],
           "embedding_vecsize_per_table": [4],
           "embedding_table_names": ["no/slash"]}]})",
       "\"m\": embedding_table_names[0]"},
      {R"({"models": [
           {"model": "m", "sparse_files": ["a"],
            "embedding_vecsize_per_table": [4]},
           {"model": "m", "sparse_files": ["b"],
            "embedding_vecsize_per_table": [4]}]})",
       "models[1] \"m\": model name already used"},
      // Wrong JSON types.
      {R"({"models": [{"model": 7}]})", "models[0].model must be a string"},
      {R"({"models": [{"model": "m", "sparse_files": "a.model",
           "embedding_vecsize_per_table": [4]}]})",
       "\"m\": sparse_files must be a list"},
      {R"({"models": [{"model": "m", "sparse_files": ["a"],
           "embedding_vecsize_per_table": ["4"]}]})",
       "\"m\": embedding_vecsize_per_table[0] must be an integer"},
      {R"({"models": [{"model": "m", "sparse_files": ["a"],
           "embedding_vecsize_per_table": [-4]}]})",
       "embedding_vecsize_per_table[0] must be an integer"},
      {WithModel("", R"(, "hit_rate_threshold": "high")"),
       "\"m\": hit_rate_threshold must be a number"},
      {WithModel("", R"(, "gpucache": 1)"),
       "\"m\": gpucache must be true or false"},
      {WithModel("", R"(, "deployed_device_list": [0, -1])"),
       "\"m\": deployed_device_list[1] must be an integer"},
      {WithModel("", R"(, "use_static_table": "yes")"),
       "\"m\": use_static_table must be true, false or a number"},
      {WithModel(R"("volatile_db": [],)"), "volatile_db must be an object"},
      {WithModel(R"("volatile_db": {"num_partitions": 2.5},)"),
       "volatile_db.num_partitions must be an integer"},
      {WithModel(R"("persistent_db": {"type": "rocks_db", "path": 1},)"),
       "persistent_db.path must be a string"},
      {WithModel(R"("update_source": {"brokers": ["k:1"]},)"),
       "update_source.brokers must be a string"},
      {WithModel(R"("supportlonglong": "yes",)"),
       "supportlonglong must be true, false or a number"},
  };
  for (const auto& [text, field] : cases) {
    INFO(text);
    absl::StatusOr<HpsConversion> c = ConvertHpsConfig(text);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(c.status().message()), Contains(field));
  }
}

}  // namespace strata::testing
