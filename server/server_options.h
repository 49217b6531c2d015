// ServerOptions: every setting of strata-server, in one place. Defaults are
// the member initializers; a JSON config file may set any field by its exact
// name, and command-line flags (the field name with '-' for '_') override the
// file. STRATA_SERVER_OPTION_FIELDS lists the fields once for all three.
//
// A plain value type; not synchronized.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace CLI {
class App;
}

namespace strata {

// X(type, name, help): the one list of options.
#define STRATA_SERVER_OPTION_FIELDS(X)                                        \
  X(std::string, listen,                                                      \
    "gRPC address to serve on (host:port; port 0 picks "                      \
    "a free one)")                                                            \
  X(std::string, data_dir, "Folder holding the RocksDB copy of every model")  \
  X(std::string, port_file,                                                   \
    "If set, the bound port is written here once the server is ready")        \
  X(uint32_t, worker_threads, "Lookup worker threads (0 = one per core)")     \
  X(uint32_t, max_queued_requests,                                            \
    "Requests waiting for a worker beyond which new ones get "                \
    "RESOURCE_EXHAUSTED")                                                     \
  X(uint32_t, max_keys_per_request,                                           \
    "Most keys one Lookup may ask for, over all its tables")                  \
  X(uint32_t, max_batch_keys,                                                 \
    "A worker stops coalescing requests into a batch at this many keys")      \
  X(uint32_t, max_queue_delay_us,                                             \
    "How long a worker waits for more requests when its batch is short "      \
    "(0 = take what is queued)")                                              \
  X(double, hit_rate_threshold,                                               \
    "Per table and batch: tier-1 hit rate at or above which misses fill "     \
    "tier 1 in the background instead of before the reply")                   \
  X(uint32_t, miss_budget_us,                                                 \
    "Default time lower tiers get in background-fill mode before missing "    \
    "rows return as flagged defaults (0 = no limit)")                         \
  X(uint64_t, hash_map_capacity_bytes,                                        \
    "Host hash-map cache in front of RocksDB, shared by all tables (0 = "     \
    "none)")                                                                  \
  X(std::string, redis_cluster,                                               \
    "Comma-separated host:port seeds of a Redis Cluster shared by all pods, " \
    "read between the hash map and RocksDB (empty = no Redis tier)")          \
  X(std::string, redis_user, "Redis ACL user (empty = legacy AUTH)")          \
  X(std::string, redis_password, "Redis AUTH password (empty = no AUTH)")     \
  X(uint64_t, redis_capacity_bytes,                                           \
    "Row bytes Strata may keep in Redis, shared by all tables; past it, "     \
    "rows are evicted")                                                       \
  X(uint32_t, redis_partitions,                                               \
    "Redis hashes (hash tags) each table is spread over; each batch sends "   \
    "one HMGET per partition it touches")                                     \
  X(uint32_t, redis_timeout_ms,                                               \
    "Redis read/write timeout; a slower node's keys are read from RocksDB")   \
  X(uint64_t, block_cache_bytes, "RocksDB block cache")                       \
  X(uint32_t, max_message_bytes, "Largest gRPC request or reply")             \
  X(uint32_t, shutdown_grace_ms,                                              \
    "On SIGTERM/SIGINT, how long in-flight calls may take to finish")         \
  X(std::string, log_level, "trace, debug, info, warn, error or off")         \
  X(std::string, kafka_brokers,                                               \
    "Kafka bootstrap servers for online updates (empty = no Kafka)")          \
  X(std::string, kafka_topic_prefix,                                          \
    "Update topics are <prefix><model> (protobuf strata.v1.UpdateBatch)")     \
  X(bool, kafka_hps_topics,                                                   \
    "Also read HugeCTR HPS topics hps_et.<model>.<table> (HCTR messages)")    \
  X(uint32_t, kafka_metadata_refresh_ms,                                      \
    "How often update topics and partitions are looked up again")

struct ServerOptions {
  std::string listen = "0.0.0.0:8500";
  std::string data_dir = "./strata-data";
  std::string port_file = "";
  uint32_t worker_threads = 0;
  uint32_t max_queued_requests = 4096;
  uint32_t max_keys_per_request = 1 << 20;
  uint32_t max_batch_keys = 65536;
  uint32_t max_queue_delay_us = 0;
  double hit_rate_threshold = 0.9;
  uint32_t miss_budget_us = 0;
  uint64_t hash_map_capacity_bytes = 1ull << 30;
  std::string redis_cluster = "";
  std::string redis_user = "";
  std::string redis_password = "";
  uint64_t redis_capacity_bytes = 4ull << 30;
  uint32_t redis_partitions = 8;
  uint32_t redis_timeout_ms = 200;
  uint64_t block_cache_bytes = 256ull << 20;
  uint32_t max_message_bytes = 256u << 20;
  uint32_t shutdown_grace_ms = 10000;
  std::string log_level = "info";
  std::string kafka_brokers = "";
  std::string kafka_topic_prefix = "strata.";
  bool kafka_hps_topics = true;
  uint32_t kafka_metadata_refresh_ms = 2000;

  [[nodiscard]] absl::Status Validate() const;

  // Sets the fields named in a JSON object; unknown keys are an error.
  [[nodiscard]] absl::Status MergeJson(const std::string& json);
  [[nodiscard]] absl::Status MergeJsonFile(const std::string& path);

  // Declares one flag per field on `app`, bound to this struct.
  void AddFlags(CLI::App& app);
};

// Parses `--config FILE` and flags into options (defaults < file < flags).
// Returns the exit code to use when parsing ends the program (--help or an
// error, already printed), or -1 to go on.
int ParseServerOptions(int argc, char** argv, ServerOptions* options);

}  // namespace strata
