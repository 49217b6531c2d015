// UpdateSource: something that feeds decoded updates to an Applier from a
// log (Kafka today), on its own thread, from the position the Applier has
// stored. HPS's MessageSource, without the consumer group: every serving pod
// reads every partition, because every pod holds its own full copy.
//
// Ownership: a source borrows the Applier it feeds, which must outlive it.
// Thread safety: Start/Stop from one thread; stats() from any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace strata {

// Counters of one source. Lag is recomputed periodically.
struct UpdateSourceStats {
  uint64_t consumed_messages = 0;  // every message read, applied or not
  uint64_t applied_messages = 0;
  uint64_t applied_rows = 0;
  uint64_t skipped_messages = 0;  // malformed, unknown table, wrong dim
  uint64_t stale_messages = 0;    // older than the serving snapshot
  // Messages the topic's retention deleted before they were read: their
  // updates are lost (the consumer fell further behind than retention).
  uint64_t lost_messages = 0;
  uint64_t lag = 0;  // messages on the topics not applied yet
  uint32_t assigned_partitions = 0;
  bool connected = false;  // the last fetch or metadata call succeeded
};

class UpdateSource {
 public:
  virtual ~UpdateSource() = default;

  // Starts the consumer thread. Fails on bad configuration only; brokers
  // that cannot be reached are retried in the background.
  [[nodiscard]] virtual absl::Status Start() = 0;
  // Stops the thread after the message being applied; idempotent.
  virtual void Stop() = 0;
  virtual UpdateSourceStats stats() const = 0;
};

}  // namespace strata
