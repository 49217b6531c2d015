#include "engine/builder/engine_options.h"

#include "absl/strings/str_split.h"
#include "engine/common/status_macros.h"

namespace strata {

RedisClusterOptions EngineOptions::RedisWithSeeds() const {
  RedisClusterOptions r = redis;
  r.seeds = absl::StrSplit(redis_cluster, ',', absl::SkipEmpty());
  return r;
}

absl::Status EngineOptions::Validate() const {
  if (data_dir.empty()) return absl::InvalidArgumentError("data_dir is empty");
  STRATA_RETURN_IF_ERROR(store.Validate());
  STRATA_RETURN_IF_ERROR(registry.Validate());
  STRATA_RETURN_IF_ERROR(batcher.Validate());
  STRATA_RETURN_IF_ERROR(gpu.Validate());
  if (!redis_cluster.empty()) {
    STRATA_RETURN_IF_ERROR(RedisWithSeeds().Validate());
    if (registry.redis_partitions == 0) {
      return absl::InvalidArgumentError("redis_partitions must be positive");
    }
  }
  // The Kafka settings are checked even without brokers, so that a bad
  // value fails at start-up and not when brokers are added later.
  KafkaSourceOptions kafka = updates.kafka;
  if (kafka.brokers.empty()) kafka.brokers = "unset:0";
  return kafka.Validate();
}

}  // namespace strata
