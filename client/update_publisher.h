// UpdatePublisher: how a trainer sends embedding updates to every serving
// pod through Kafka (librdkafka producer).
//
// Rows are split into messages of at most max_rows_per_message rows. Each
// message has the Kafka key "<table>/<shard>", where the shard is a hash of
// the embedding key: so every update of one embedding key goes to the same
// partition and is applied in the order it was published, while a table's
// updates still spread over partitions.
//
// Formats: protobuf strata.v1.UpdateBatch on "<topic_prefix><model>"
// (default), or HugeCTR "HCTR" messages on "hps_et.<model>.<table>".
//
// Ownership: owns its producer. Thread safety: Publish may be called from
// many threads; Flush waits for everything published before it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace strata {

struct PublisherOptions {
  std::string brokers;  // bootstrap.servers
  std::string topic_prefix = "strata.";
  bool hctr = false;  // HugeCTR format on hps_et.<model>.<table>
  uint32_t max_rows_per_message = 1024;
  uint32_t shards = 16;  // distinct message keys per table
  // Extra librdkafka producer properties.
  std::map<std::string, std::string> rdkafka;
};

class UpdatePublisher {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UpdatePublisher>> Create(
      const PublisherOptions& options);
  virtual ~UpdatePublisher() = default;

  // Queues the rows; returns once librdkafka holds them (or its queue is full
  // for longer than a few seconds: RESOURCE_EXHAUSTED).
  [[nodiscard]] virtual absl::Status Publish(
      const std::string& model, const std::string& table, uint32_t dim,
      absl::Span<const int64_t> keys,       // (n)
      absl::Span<const float> values) = 0;  // (n, dim)

  // Waits until every queued message is acknowledged by the brokers;
  // UNAVAILABLE if some were not within timeout_ms or failed.
  [[nodiscard]] virtual absl::Status Flush(uint32_t timeout_ms) = 0;

  virtual uint64_t delivered_messages() const = 0;
  virtual uint64_t failed_messages() const = 0;
};

}  // namespace strata
