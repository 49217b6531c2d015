// KafkaSource: the UpdateSource that reads Kafka with librdkafka.
//
// One consumer per server. It never joins a consumer group: it discovers
// every partition of its topics from metadata and assign()s them all, so
// every pod reads every update (each pod holds its own authoritative copy).
// Each partition starts at the position the Applier stored with the data
// (or the serving snapshot's offset, or the beginning of the topic), and
// offsets are never committed to Kafka: they live in RocksDB, written in the
// same batch as the rows.
//
// Topics: for each serving model, "<topic_prefix><model>" (protobuf
// strata.v1.UpdateBatch) and, with hps_topics, "hps_et.<model>.<table>"
// for each table (HugeCTR "HCTR" messages). Topics that do not exist yet are
// looked for again every metadata_refresh_ms, as are new partitions.
//
// A malformed message (bad magic, truncated, wrong dim, unknown table) is
// logged with topic/partition/offset, counted and skipped; the consumer
// goes on. Unreachable brokers are retried for ever without touching
// serving; ingestion resumes where it was.
//
// Ownership: borrows the Applier and the registry; both must outlive it.
// Thread safety: see UpdateSource.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"
#include "engine/update/applier.h"
#include "engine/update/update_source.h"

namespace strata {

struct KafkaSourceOptions {
  // bootstrap.servers: host:port[,host:port...]; must not be empty.
  std::string brokers;
  // Protobuf topics are "<topic_prefix><model>".
  std::string topic_prefix = "strata.";
  // Also read HugeCTR HPS topics "hps_et.<model>.<table>".
  bool hps_topics = true;
  // Longest wait for one message before the thread looks at its timers.
  uint32_t poll_timeout_ms = 50;
  // How often topics and partitions are looked up again.
  uint32_t metadata_refresh_ms = 2000;
  // How often the lag is recomputed.
  uint32_t lag_refresh_ms = 500;
  // Extra librdkafka properties (e.g. "reconnect.backoff.max.ms"), applied
  // last.
  std::map<std::string, std::string> rdkafka;

  [[nodiscard]] absl::Status Validate() const;
};

// The source reads the models serving in `registry` when Start is called.
[[nodiscard]] absl::StatusOr<std::unique_ptr<UpdateSource>> NewKafkaSource(
    const KafkaSourceOptions& options, const ModelRegistry* registry,
    Applier* applier);

}  // namespace strata
