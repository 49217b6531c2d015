// ServerOptions: every setting of strata-server. Defaults are the member
// initializers (for engine settings, those of EngineOptions); a JSON config
// file may set any option by its flat name, and command-line flags (the name
// with '-' for '_') override the file. STRATA_SERVER_OPTION_FIELDS lists the
// options once for all three.
//
// A plain value type; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/builder/engine_options.h"
#include "engine/builder/hps_config.h"
#include "server/security/server_credentials.h"

namespace CLI {
class App;
}

namespace strata {

// X(name, field, help): the one list of options. `name` is the JSON key and,
// with '-' for '_', the flag; `field` is the member of ServerOptions it sets
// (engine settings live in EngineOptions, whose defaults they are).
#define STRATA_SERVER_OPTION_FIELDS(X)                                        \
  X(listen, listen,                                                           \
    "gRPC address to serve on (host:port; port 0 picks a free one)")          \
  X(data_dir, engine.data_dir,                                                \
    "Folder holding the RocksDB copy of every model")                         \
  X(port_file, port_file,                                                     \
    "If set, the bound port is written here once the server is ready")        \
  X(metrics_listen, metrics_listen,                                           \
    "Prometheus metrics over HTTP at /metrics (host:port; port 0 picks a "    \
    "free one; empty = off)")                                                 \
  X(metrics_port_file, metrics_port_file,                                     \
    "If set, the bound metrics port is written here once serving")            \
  X(worker_threads, engine.batcher.workers,                                   \
    "Lookup worker threads (0 = one per core)")                               \
  X(max_queued_requests, engine.batcher.max_queued_jobs,                      \
    "Requests waiting for a worker beyond which new ones get "                \
    "RESOURCE_EXHAUSTED")                                                     \
  X(max_keys_per_request, max_keys_per_request,                               \
    "Most keys one Lookup may ask for, over all its tables")                  \
  X(max_batch_keys, engine.batcher.max_batch_keys,                            \
    "A worker stops coalescing requests into a batch at this many keys")      \
  X(max_queue_delay_us, engine.batcher.max_queue_delay_us,                    \
    "How long a worker waits for more requests when its batch is short "      \
    "(0 = take what is queued)")                                              \
  X(worker_idle_spin_us, engine.batcher.idle_spin_us,                         \
    "How long one idle worker polls the queue before it sleeps, so the next " \
    "request skips a thread wake-up (0 = sleep at once)")                     \
  X(hit_rate_threshold, engine.batcher.hit_rate_threshold,                    \
    "Per table and batch: tier-1 hit rate at or above which misses fill "     \
    "tier 1 in the background instead of before the reply")                   \
  X(miss_budget_us, engine.batcher.miss_budget_us,                            \
    "Default time lower tiers get in background-fill mode before missing "    \
    "rows return as flagged defaults (0 = no limit)")                         \
  X(max_infer_batch, engine.registry.dense.max_batch,                         \
    "Most samples one dense-network run takes: Infer calls coalesce up to "   \
    "it, and a larger call is refused")                                       \
  X(hash_map_capacity_bytes, engine.registry.hash_map_capacity_bytes,         \
    "Host hash-map cache in front of RocksDB, shared by all tables (0 = "     \
    "none)")                                                                  \
  X(hash_map_policy, engine.registry.hash_map.policy,                         \
    "Hash-map replacement policy: frequency, lfu, lru or random")             \
  X(hash_map_value_dtype, engine.registry.hash_map.value_dtype,               \
    "Hash-map value storage: fp32, or fp16 (half the bytes)")                 \
  X(hash_map_partitions, engine.registry.hash_map_partitions,                 \
    "Locked partitions of each table's hash map (0 = one per ~1 M rows, "     \
    "1 to 16)")                                                               \
  X(gpu_cache_backend, engine.gpu.backend,                                    \
    "GPU cache in front of the host tiers: auto (cuda when a device is "      \
    "visible, else off), cuda, reference (the host backend) or off")          \
  X(gpu_cache_bytes, engine.gpu.bytes,                                        \
    "GPU cache bytes over all tables, split by table size (0 = use "          \
    "gpu_cache_fraction)")                                                    \
  X(gpu_cache_fraction, engine.gpu.fraction,                                  \
    "Fraction of each table's rows the GPU cache holds (when "                \
    "gpu_cache_bytes is 0)")                                                  \
  X(gpu_devices, engine.gpu.devices,                                          \
    "Comma-separated CUDA devices tables are spread over (empty = all)")      \
  X(gpu_streams_per_device, engine.gpu.streams_per_device,                    \
    "Lookup streams per table cache on a device")                             \
  X(gpu_cache_warm_keys, engine.gpu.warm_keys_dir,                            \
    "Folder of <model>/<table>.keys files (int64, hottest first) read into "  \
    "the GPU caches before serving (empty = start cold)")                     \
  X(redis_cluster, engine.redis_cluster,                                      \
    "Comma-separated host:port seeds of a Redis Cluster shared by all pods, " \
    "read between the hash map and RocksDB (empty = no Redis tier)")          \
  X(redis_user, engine.redis.user, "Redis ACL user (empty = legacy AUTH)")    \
  X(redis_password, engine.redis.password,                                    \
    "Redis AUTH password (empty = no AUTH)")                                  \
  X(redis_capacity_bytes, engine.registry.redis_capacity_bytes,               \
    "Row bytes Strata may keep in Redis, shared by all tables; past it, "     \
    "rows are evicted")                                                       \
  X(redis_partitions, engine.registry.redis_partitions,                       \
    "Redis hashes (hash tags) each table is spread over; each batch sends "   \
    "one HMGET per partition it touches")                                     \
  X(redis_timeout_ms, engine.redis.io_timeout_ms,                             \
    "Redis read/write timeout; a slower node's keys are read from RocksDB")   \
  X(block_cache_bytes, engine.store.block_cache_bytes, "RocksDB block cache") \
  X(max_message_bytes, max_message_bytes, "Largest gRPC request or reply")    \
  X(max_concurrent_streams, max_concurrent_streams,                           \
    "Calls one HTTP/2 connection may have open at once; more wait in the "    \
    "client")                                                                 \
  X(max_inflight_bytes, max_inflight_bytes,                                   \
    "Bytes admitted calls may hold at once (requests, rows, replies until "   \
    "sent); past it calls get RESOURCE_EXHAUSTED (0 = no limit)")             \
  X(shutdown_grace_ms, shutdown_grace_ms,                                     \
    "On SIGTERM/SIGINT, how long in-flight calls may take to finish")         \
  X(log_level, log_level, "trace, debug, info, warn, error or off")           \
  X(kafka_brokers, engine.updates.kafka.brokers,                              \
    "Kafka bootstrap servers for online updates (empty = no Kafka)")          \
  X(kafka_topic_prefix, engine.updates.kafka.topic_prefix,                    \
    "Update topics are <prefix><model> (protobuf strata.v1.UpdateBatch)")     \
  X(kafka_hps_topics, engine.updates.kafka.hps_topics,                        \
    "Also read HugeCTR HPS topics hps_et.<model>.<table> (HCTR messages)")    \
  X(kafka_metadata_refresh_ms, engine.updates.kafka.metadata_refresh_ms,      \
    "How often update topics and partitions are looked up again")             \
  X(kafka_properties, kafka_properties,                                       \
    "Extra librdkafka properties, k=v[,k=v...] (e.g. security.protocol="      \
    "SASL_SSL,sasl.mechanisms=PLAIN,sasl.username=U,sasl.password=P)")        \
  X(tls_cert_file, tls.cert_file,                                             \
    "Server certificate chain (PEM): TLS on the gRPC port (empty = "          \
    "plaintext)")                                                             \
  X(tls_key_file, tls.key_file, "Private key of tls_cert_file (PEM)")         \
  X(tls_client_ca_file, tls.client_ca_file,                                   \
    "CA of client certificates (PEM): mutual TLS, every client must present " \
    "one it signed")                                                          \
  X(admin_token_file, admin_token_file,                                       \
    "File holding the bearer token admin calls (GetStats, PushUpdates) "      \
    "must send as \"authorization: Bearer <token>\"")                         \
  X(admin_allowed_sans, admin_allowed_sans,                                   \
    "Comma-separated client-certificate SANs admitted to admin calls "        \
    "(mTLS); with neither this nor a token, admin is loopback-only")          \
  X(bootstrap_from, bootstrap_from,                                           \
    "host:port of a serving peer: a first start with an empty data dir "      \
    "copies its models (Admin/StreamSnapshot, with this server's "            \
    "admin_token_file as bearer token), catches up from Kafka at their "      \
    "offsets, and only then turns SERVING")                                   \
  X(enable_diagnostics, enable_diagnostics,                                   \
    "Serve strata.v1.Diagnostics/Echo (the `strata bench --compare-echo` "    \
    "baseline), capped by max_message_bytes")

struct ServerOptions {
  // The engine's settings; the rest is gRPC and the process.
  EngineOptions engine;
  std::string listen = "0.0.0.0:8500";
  std::string port_file = "";
  std::string metrics_listen = "0.0.0.0:8501";
  std::string metrics_port_file = "";
  uint32_t max_keys_per_request = 1 << 20;
  uint32_t max_message_bytes = 256u << 20;
  uint64_t max_inflight_bytes = uint64_t{512} << 20;
  uint32_t max_concurrent_streams = 256;
  uint32_t shutdown_grace_ms = 10000;
  std::string log_level = "info";
  std::string kafka_properties = "";  // parsed into engine.updates.kafka
  TlsFiles tls;
  std::string admin_token_file = "";
  std::string admin_allowed_sans = "";  // comma-separated
  bool enable_diagnostics = false;
  std::string bootstrap_from = "";
  // Models to import into the data dir on first start (each once: a model
  // with a stored version is left alone). Set by the config key
  // "hps_models" (what `strata convert-hps` writes) or by --hps-config.
  std::vector<HpsModel> hps_models;
  // HugeCTR ps.json settings Strata cannot honour (--hps-config), logged at
  // start.
  std::vector<std::string> hps_warnings;

  [[nodiscard]] absl::Status Validate() const;

  // Moves kafka_properties into engine.updates.kafka.rdkafka (after Validate).
  void ResolveDerived();

  // Sets the fields named in a JSON object; unknown keys are an error.
  [[nodiscard]] absl::Status MergeJson(const std::string& json);
  [[nodiscard]] absl::Status MergeJsonFile(const std::string& path);
  // Merges what a HugeCTR ps.json maps to (hps_config.h).
  [[nodiscard]] absl::Status MergeHpsConfigFile(const std::string& path);

  // Declares one flag per field on `app`, bound to this struct.
  void AddFlags(CLI::App& app);
};

// Parses `--hps-config FILE` (a HugeCTR ps.json), `--config FILE` and flags
// into options (defaults < ps.json < config file < flags).
// Returns the exit code to use when parsing ends the program (--help or an
// error, already printed), or -1 to go on.
int ParseServerOptions(int argc, char** argv, ServerOptions* options);

// "k=v,k=v" → {k: v}; a part without '=' or with an empty key is an error.
[[nodiscard]] absl::StatusOr<std::map<std::string, std::string>>
ParseKeyValueList(const std::string& text, const std::string& option);

}  // namespace strata
