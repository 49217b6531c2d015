// UpdateSidecar: the engine's online-update machinery. Owns the Applier
// (shared by the Kafka consumer and Admin/PushUpdates), the Kafka source
// when brokers are configured, and a small thread that runs the Applier's
// delayed cache re-invalidations.
//
// Ownership: borrows the store and the registry, which must outlive it.
// Thread safety: applier() and stats() from any thread; Stop from one.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "engine/update/applier.h"
#include "engine/update/kafka_source.h"

namespace strata {

struct UpdateSidecarOptions {
  // kafka.brokers empty: no Kafka, PushUpdates only.
  KafkaSourceOptions kafka;
  ApplierOptions applier;
};

struct UpdateSidecarStats {
  ApplierStats applier;     // Kafka and PushUpdates together
  UpdateSourceStats kafka;  // zero without Kafka
  bool kafka_enabled = false;
};

class UpdateSidecar {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UpdateSidecar>> Start(
      const UpdateSidecarOptions& options, ModelStore* store,
      const ModelRegistry* registry);
  ~UpdateSidecar();

  Applier* applier() { return applier_.get(); }
  UpdateSidecarStats stats() const;
  // Stops the consumer and the ticker; idempotent.
  void Stop();

 private:
  UpdateSidecar() = default;

  std::unique_ptr<Applier> applier_;
  std::unique_ptr<UpdateSource> kafka_;  // nullptr without brokers
  std::thread ticker_;
  std::atomic<bool> stop_{false};
};

}  // namespace strata
