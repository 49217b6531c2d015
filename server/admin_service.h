// AdminService: strata.v1.Admin — what is loaded, tier statistics, and
// PushUpdates. Reads of in-memory state answer inline; PushUpdates writes
// RocksDB, so it runs on the service's small update pool and finishes from
// there (a full pool answers RESOURCE_EXHAUSTED at once). ListModels is open
// to every caller (clients and the bench need it); every other method is
// admitted by `auth` first (admin_auth.h).
//
// Ownership: borrows the registry, the lookup handler, the auth policy and
// the update sidecar (nullptr: PushUpdates is UNAVAILABLE).
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include "engine/common/worker_pool.h"
#include "engine/model/model_registry.h"
#include "engine/update/update_sidecar.h"
#include "server/lookup_handler.h"
#include "server/security/admin_auth.h"
#include "strata/v1/admin.grpc.pb.h"

namespace strata {

class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(const ModelRegistry* registry, const LookupHandler* handler,
               const AdminAuth* auth, UpdateSidecar* updates = nullptr)
      : registry_(registry),
        handler_(handler),
        auth_(auth),
        updates_(updates),
        push_pool_(/*threads=*/1, /*max_queued=*/64) {}

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

 private:
  const ModelRegistry* const registry_;
  const LookupHandler* const handler_;
  const AdminAuth* const auth_;
  UpdateSidecar* const updates_;
  WorkerPool push_pool_;  // runs PushUpdates; drained on destruction
};

}  // namespace strata
