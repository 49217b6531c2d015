// AdminService: strata.v1.Admin — what is loaded, and tier statistics.
// Every method reads in-memory state only, so it answers inline.
//
// Ownership: borrows the registry and the lookup handler.
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include "engine/model/model_registry.h"
#include "server/lookup_handler.h"
#include "strata/v1/admin.grpc.pb.h"

namespace strata {

class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(const ModelRegistry* registry, const LookupHandler* handler)
      : registry_(registry), handler_(handler) {}

  grpc::ServerUnaryReactor* ListModels(
      grpc::CallbackServerContext* context,
      const v1::ListModelsRequest* request,
      v1::ListModelsResponse* response) override;

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;

 private:
  const ModelRegistry* const registry_;
  const LookupHandler* const handler_;
};

}  // namespace strata
