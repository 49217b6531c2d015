// EngineOptions: everything the engine builder needs, in one struct. Each
// field's default is the member initializer of the engine struct it belongs
// to (BatcherOptions, RegistryOptions, ...); nothing restates one. The server
// maps its flags and JSON keys onto these fields (server_options.h).
//
// A plain value type; not synchronized.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "engine/batch/batcher.h"
#include "engine/builder/gpu_cache_plan.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "engine/store/redis/redis_cluster_client.h"
#include "engine/update/update_sidecar.h"

namespace strata {

struct EngineOptions {
  // Folder holding the RocksDB copy of every model.
  std::string data_dir = "./strata-data";
  ModelStoreOptions store;
  // Tier sizes and hash-map policy; `registry.redis` is set by the builder.
  RegistryOptions registry;
  // Comma-separated host:port seeds of a Redis Cluster; empty = no Redis tier.
  std::string redis_cluster;
  // Redis client settings; `redis.seeds` comes from `redis_cluster`.
  RedisClusterOptions redis;
  BatcherOptions batcher;
  // Tier 1 on the GPU (or its host reference backend).
  GpuCacheConfig gpu;
  // `updates.kafka.brokers` empty = no Kafka (PushUpdates only).
  UpdateSidecarOptions updates;

  [[nodiscard]] absl::Status Validate() const;
  // `redis` with its seeds parsed from `redis_cluster`.
  RedisClusterOptions RedisWithSeeds() const;
};

}  // namespace strata
