#include "engine/update/update_sidecar.h"

#include <chrono>

namespace strata {

absl::StatusOr<std::unique_ptr<UpdateSidecar>> UpdateSidecar::Start(
    const UpdateSidecarOptions& options, ModelStore* store,
    const ModelRegistry* registry) {
  std::unique_ptr<UpdateSidecar> sidecar(new UpdateSidecar());
  sidecar->applier_ =
      std::make_unique<Applier>(store, registry, options.applier);
  if (!options.kafka.brokers.empty()) {
    absl::StatusOr<std::unique_ptr<UpdateSource>> source =
        NewKafkaSource(options.kafka, registry, sidecar->applier_.get());
    if (!source.ok()) return source.status();
    absl::Status s = (*source)->Start();
    if (!s.ok()) return s;
    sidecar->kafka_ = std::move(*source);
  }
  UpdateSidecar* self = sidecar.get();
  sidecar->ticker_ = std::thread([self] {
    while (!self->stop_.load()) {
      self->applier_->Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  return sidecar;
}

UpdateSidecar::~UpdateSidecar() { Stop(); }

void UpdateSidecar::Stop() {
  if (kafka_ != nullptr) kafka_->Stop();
  stop_ = true;
  if (ticker_.joinable()) ticker_.join();
}

UpdateSidecarStats UpdateSidecar::stats() const {
  UpdateSidecarStats s;
  s.applier = applier_->stats();
  if (kafka_ != nullptr) {
    s.kafka = kafka_->stats();
    s.kafka_enabled = true;
  }
  return s;
}

}  // namespace strata
