// AdminService: strata.v1.Admin — what is loaded, tier statistics, and
// PushUpdates. Reads of in-memory state answer inline; PushUpdates writes
// RocksDB, so it runs on the service's small update pool and finishes from
// there (a full pool answers RESOURCE_EXHAUSTED at once). ListModels is open
// to every caller (clients and the bench need it); every other method is
// admitted by `auth` first (admin_auth.h).
//
// LoadModel, GetModel, UnloadModel and ServeVersion (admin_models.cc) touch
// the data dir, so they too run on a small pool of their own.
//
// Ownership: borrows the registry, the lookup handler, the auth policy, the
// update sidecar (nullptr: PushUpdates is UNAVAILABLE) and the model loader
// (nullptr: LoadModel is UNAVAILABLE).
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include <functional>

#include "engine/common/worker_pool.h"
#include "engine/model/model_loader.h"
#include "engine/model/model_registry.h"
#include "engine/update/update_sidecar.h"
#include "server/lookup_handler.h"
#include "server/security/admin_auth.h"
#include "strata/v1/admin.grpc.pb.h"

namespace strata {

class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(ModelRegistry* registry, const LookupHandler* handler,
               const AdminAuth* auth, UpdateSidecar* updates = nullptr,
               ModelLoader* loader = nullptr)
      : registry_(registry),
        handler_(handler),
        auth_(auth),
        updates_(updates),
        loader_(loader),
        push_pool_(/*threads=*/1, /*max_queued=*/64),
        model_pool_(/*threads=*/1, /*max_queued=*/16) {}

  grpc::ServerUnaryReactor* ListModels(
      grpc::CallbackServerContext* context,
      const v1::ListModelsRequest* request,
      v1::ListModelsResponse* response) override;

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;

  grpc::ServerUnaryReactor* PushUpdates(
      grpc::CallbackServerContext* context,
      const v1::PushUpdatesRequest* request,
      v1::PushUpdatesResponse* response) override;

  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const v1::LoadModelRequest* request,
                                      v1::LoadModelResponse* response) override;
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::GetModelResponse* response) override;
  grpc::ServerUnaryReactor* UnloadModel(
      grpc::CallbackServerContext* context,
      const v1::UnloadModelRequest* request,
      v1::UnloadModelResponse* response) override;
  grpc::ServerUnaryReactor* ServeVersion(
      grpc::CallbackServerContext* context,
      const v1::ServeVersionRequest* request,
      v1::ServeVersionResponse* response) override;
  grpc::ServerWriteReactor<v1::SnapshotChunk>* StreamSnapshot(
      grpc::CallbackServerContext* context,
      const v1::StreamSnapshotRequest* request) override;

 private:
  // Admits the call, then runs `work` on the model pool and finishes the
  // call with its status (RESOURCE_EXHAUSTED when the pool is full).
  grpc::ServerUnaryReactor* RunModelCall(grpc::CallbackServerContext* context,
                                         std::function<absl::Status()> work);

  ModelRegistry* const registry_;
  const LookupHandler* const handler_;
  const AdminAuth* const auth_;
  UpdateSidecar* const updates_;
  ModelLoader* const loader_;
  WorkerPool push_pool_;   // runs PushUpdates; drained on destruction
  WorkerPool model_pool_;  // runs the model calls; drained on destruction
  // Runs StreamSnapshot calls (two at a time); drained on destruction, which
  // the server's shutdown makes quick: it cancels the calls.
  WorkerPool snapshot_pool_{/*threads=*/2, /*max_queued=*/4};
};

}  // namespace strata
