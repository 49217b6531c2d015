// ServerOptions: the flat JSON keys and flags of strata-server land on the
// engine's option fields, defaults come from the engine structs, and --help
// lists every option with its default.
#include "server/server_options.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace strata {
namespace {

int Parse(std::vector<std::string> args, ServerOptions* options) {
  args.insert(args.begin(), "strata-server");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseServerOptions(static_cast<int>(argv.size()), argv.data(),
                            options);
}

TEST_CASE("server defaults are the engine's defaults") {
  const ServerOptions o;
  const EngineOptions e;
  CHECK(o.engine.data_dir == "./strata-data");
  CHECK(o.engine.batcher.hit_rate_threshold ==
        ChainLookupOptions{}.hit_rate_threshold);
  CHECK(o.engine.batcher.miss_budget_us == ChainLookupOptions{}.miss_budget_us);
  CHECK(o.engine.registry.hash_map_capacity_bytes ==
        e.registry.hash_map_capacity_bytes);
  CHECK(o.engine.redis.io_timeout_ms == RedisClusterOptions{}.io_timeout_ms);
  CHECK(o.engine.updates.kafka.topic_prefix ==
        KafkaSourceOptions{}.topic_prefix);
  CHECK(o.Validate().ok());
}

TEST_CASE("flat JSON keys set the engine's fields") {
  ServerOptions o;
  REQUIRE(o.MergeJson(R"({
    "data_dir": "/var/lib/strata", "listen": "0.0.0.0:9000",
    "hash_map_capacity_bytes": 1073741824, "worker_threads": 3,
    "max_queued_requests": 7, "max_batch_keys": 100, "max_queue_delay_us": 5,
    "hit_rate_threshold": 0.5, "miss_budget_us": 2000,
    "hash_map_policy": "lru", "hash_map_value_dtype": "fp16",
    "hash_map_partitions": 4, "redis_cluster": "a:1,b:2",
    "redis_user": "u", "redis_password": "p", "redis_capacity_bytes": 5,
    "redis_partitions": 2, "redis_timeout_ms": 50, "block_cache_bytes": 2097152,
    "kafka_brokers": "k:9092", "kafka_topic_prefix": "x.",
    "kafka_hps_topics": false, "kafka_metadata_refresh_ms": 300})")
              .ok());
  const EngineOptions& e = o.engine;
  CHECK(e.data_dir == "/var/lib/strata");
  CHECK(o.listen == "0.0.0.0:9000");
  CHECK(e.registry.hash_map_capacity_bytes == (1u << 30));
  CHECK(e.batcher.workers == 3);
  CHECK(e.batcher.max_queued_jobs == 7);
  CHECK(e.batcher.max_batch_keys == 100);
  CHECK(e.batcher.max_queue_delay_us == 5);
  CHECK(e.batcher.hit_rate_threshold == 0.5);
  CHECK(e.batcher.miss_budget_us == 2000);
  CHECK(e.registry.hash_map.policy == "lru");
  CHECK(e.registry.hash_map.value_dtype == "fp16");
  CHECK(e.registry.hash_map_partitions == 4);
  CHECK(e.RedisWithSeeds().seeds == std::vector<std::string>{"a:1", "b:2"});
  CHECK(e.redis.user == "u");
  CHECK(e.redis.password == "p");
  CHECK(e.registry.redis_capacity_bytes == 5);
  CHECK(e.registry.redis_partitions == 2);
  CHECK(e.redis.io_timeout_ms == 50);
  CHECK(e.store.block_cache_bytes == (2u << 20));
  CHECK(e.updates.kafka.brokers == "k:9092");
  CHECK(e.updates.kafka.topic_prefix == "x.");
  CHECK_FALSE(e.updates.kafka.hps_topics);
  CHECK(e.updates.kafka.metadata_refresh_ms == 300);
  CHECK(o.Validate().ok());
}

TEST_CASE("bad config keys and values are clear errors") {
  ServerOptions o;
  absl::Status unknown = o.MergeJson(R"({"data-dir": "/x"})");
  CHECK(unknown.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(unknown.message()), Catch::Contains("data-dir"));
  absl::Status type = o.MergeJson(R"({"worker_threads": "four"})");
  CHECK(type.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(type.message()), Catch::Contains("worker_threads"));
  CHECK(o.MergeJson("[1]").code() == absl::StatusCode::kInvalidArgument);

  ServerOptions zero;
  zero.engine.batcher.max_batch_keys = 0;
  CHECK_THAT(std::string(zero.Validate().message()),
             Catch::Contains("max_batch_keys"));
  ServerOptions policy;
  policy.engine.registry.hash_map.policy = "fifo";
  CHECK_FALSE(policy.Validate().ok());
  ServerOptions refresh;
  refresh.engine.updates.kafka.metadata_refresh_ms = 0;
  CHECK_FALSE(refresh.Validate().ok());  // checked even without brokers
}

TEST_CASE("flags set the engine's fields and override the config file") {
  ServerOptions o;
  CHECK(Parse({"--data-dir", "/d", "--max-batch-keys", "10",
               "--redis-timeout-ms", "7", "--kafka-hps-topics", "false"},
              &o) == -1);
  CHECK(o.engine.data_dir == "/d");
  CHECK(o.engine.batcher.max_batch_keys == 10);
  CHECK(o.engine.redis.io_timeout_ms == 7);
  CHECK_FALSE(o.engine.updates.kafka.hps_topics);
  ServerOptions bad;
  CHECK(Parse({"--max-batch-keys", "0"}, &bad) == 2);
}

TEST_CASE("--help lists every option with its default") {
  ServerOptions o;
  CLI::App app("test");
  o.AddFlags(app);
  const std::string help = app.help();
  for (const char* flag :
       {"--data-dir", "--worker-threads", "--hit-rate-threshold",
        "--hash-map-policy", "--redis-timeout-ms", "--kafka-brokers",
        "--block-cache-bytes", "--log-level", "--miss-budget-us"}) {
    CHECK_THAT(help, Catch::Contains(flag));
  }
  CHECK_THAT(help, Catch::Contains("./strata-data"));
  CHECK_THAT(help, Catch::Contains("0.9"));
  CHECK_THAT(help, Catch::Contains("frequency"));
  CHECK_THAT(help, Catch::Contains("268435456"));  // block cache
}

}  // namespace
}  // namespace strata
