#include "server/embedding_service.h"

#include <chrono>
#include <memory>

#include "server/grpc_status.h"

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
  bool queued = pool_->TrySubmit(
      [this, context, request, response, reactor, model = *std::move(model)] {
        if (context->deadline() < std::chrono::system_clock::now()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                       "deadline passed while queued"));
          return;
        }
        reactor->Finish(
            ToGrpcStatus(handler_->Execute(*model, *request, response)));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "lookup queue is full (max_queued_requests); "
                                 "retry with backoff"));
  }
  return reactor;
}

}  // namespace strata
