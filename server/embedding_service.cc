#include "server/embedding_service.h"

#include <memory>

#include "server/grpc_status.h"
#include "server/infer_call.h"
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

grpc::ServerUnaryReactor* EmbeddingService::Infer(
    grpc::CallbackServerContext* context, const v1::InferRequest* request,
    v1::InferResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<ValidInfer> valid = infer_handler_->Validate(*request);
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid.status()));
    return reactor;
  }
  std::unique_ptr<LookupJob> call = std::make_unique<InferCall>(
      context, request, response, reactor, *std::move(valid), infer_handler_);
  absl::Status queued = batcher_->Submit(call);
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace strata
