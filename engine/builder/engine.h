// Engine: the whole engine of one process, assembled from EngineOptions by
// Engine::Open — the data dir's store, the model registry with every tier
// chain (hash map, Redis Cluster when configured, RocksDB), the batcher and
// its workers, and the update sidecar (Applier, Kafka when configured). The
// server adds gRPC around it; the in-process bench drives it directly.
//
// Ownership: owns everything it builds. Destruction (or Stop) finishes every
// queued lookup, then stops updates, then closes the store.
// Thread safety: the accessors are safe from any thread while the engine
// lives; StopLookups and Stop from one thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/batch/batcher.h"
#include "engine/builder/engine_options.h"
#include "engine/model/model_loader.h"
#include "engine/model/model_registry.h"
#include "engine/update/update_sidecar.h"

namespace strata {

class Engine {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(
      const EngineOptions& options);
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineOptions& options() const { return options_; }
  ModelRegistry* registry() const { return registry_.get(); }
  // nullptr after StopLookups.
  Batcher* batcher() const { return batcher_.get(); }
  UpdateSidecar* updates() const { return updates_.get(); }
  // Loads model versions while serving (Admin/LoadModel).
  ModelLoader* loader() const { return loader_.get(); }

  // Finishes every queued lookup and stops the workers; Submit is then
  // impossible (batcher() is nullptr). Idempotent.
  void StopLookups();
  // StopLookups, then stops the loader (cancelling a running load) and the
  // update sidecar. Idempotent.
  void Stop();

  // One line on the GPU this build can use ("no CUDA device", ...).
  static std::string DeviceDescription();

 private:
  explicit Engine(const EngineOptions& options) : options_(options) {}

  const EngineOptions options_;
  // Declared in build order; destroyed in reverse.
  std::unique_ptr<ModelStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<UpdateSidecar> updates_;
  std::unique_ptr<ModelLoader> loader_;
  std::unique_ptr<Batcher> batcher_;
};

}  // namespace strata
