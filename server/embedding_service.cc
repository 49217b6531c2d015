#include "server/embedding_service.h"

#include <memory>

#include "server/grpc_status.h"
#include "server/lookup_call.h"

namespace strata {

grpc::ServerUnaryReactor* EmbeddingService::Lookup(
    grpc::CallbackServerContext* context, const v1::LookupRequest* request,
    v1::LookupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<const Model>> model =
      handler_->Validate(*request);
  if (!model.ok()) {
    reactor->Finish(ToGrpcStatus(model.status()));
    return reactor;
  }
  std::unique_ptr<LookupJob> call = std::make_unique<LookupCall>(
      context, request, response, reactor, *std::move(model), handler_);
  absl::Status queued = batcher_->Submit(call);
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace strata
