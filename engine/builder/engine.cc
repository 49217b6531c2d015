#include "engine/builder/engine.h"

#include <spdlog/spdlog.h>

#include "engine/builder/gpu_warm_up.h"
#include "engine/common/status_macros.h"
#include "engine/cuda/device_info.h"

namespace strata {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(
    const EngineOptions& options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Engine> engine(new Engine(options));
  STRATA_ASSIGN_OR_RETURN(engine->store_,
                          ModelStore::Open(options.data_dir, options.store));
  if (engine->store_->rocksdb()->upgraded()) {
    spdlog::info("data dir {} upgraded in place to on-disk format {}",
                 options.data_dir, RocksDbStore::kFormatVersion);
  }
  RegistryOptions registry = options.registry;
  STRATA_ASSIGN_OR_RETURN(registry.top_tier, MakeGpuCacheFactory(options.gpu));
  if (!options.redis_cluster.empty()) {
    absl::StatusOr<std::unique_ptr<RedisClusterClient>> client =
        RedisClusterClient::Connect(options.RedisWithSeeds());
    if (!client.ok()) {
      return absl::Status(
          client.status().code(),
          absl::StrCat("redis_cluster: ", client.status().message()));
    }
    registry.redis = std::move(*client);
  }
  absl::StatusOr<std::unique_ptr<ModelRegistry>> opened =
      ModelRegistry::Open(engine->store_.get(), registry);
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat("loading models from ", options.data_dir,
                                     ": ", opened.status().message()));
  }
  engine->registry_ = std::move(*opened);
  if (!options.gpu.warm_keys_dir.empty()) {
    STRATA_RETURN_IF_ERROR(
        WarmUpGpuCaches(*engine->registry_, options.gpu.warm_keys_dir));
  }
  absl::StatusOr<std::unique_ptr<UpdateSidecar>> updates = UpdateSidecar::Start(
      options.updates, engine->store_.get(), engine->registry_.get());
  if (!updates.ok()) {
    return absl::Status(updates.status().code(),
                        absl::StrCat("updates: ", updates.status().message()));
  }
  engine->updates_ = std::move(*updates);
  engine->loader_ = std::make_unique<ModelLoader>(engine->store_.get(),
                                                  engine->registry_.get());
  engine->batcher_ = std::make_unique<Batcher>(options.batcher);
  return engine;
}

Engine::~Engine() { Stop(); }

void Engine::StopLookups() { batcher_.reset(); }

void Engine::Stop() {
  StopLookups();
  if (loader_ != nullptr) loader_->Stop();
  if (updates_ != nullptr) updates_->Stop();
}

std::string Engine::DeviceDescription() { return CudaDescription(); }

}  // namespace strata
