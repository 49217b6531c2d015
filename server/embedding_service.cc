#include "server/embedding_service.h"

#include <memory>

#include "server/grpc_status.h"
#include "server/infer_call.h"
#include "server/lookup_call.h"

namespace strata {

namespace {

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context,
                                 const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* EmbeddingService::Lookup(
    grpc::CallbackServerContext* context, const v1::LookupRequest* request,
    v1::LookupResponse* response) {
  absl::StatusOr<std::shared_ptr<const Model>> model =
      handler_->Validate(*request);
  if (!model.ok()) return Refuse(context, model.status());
  const uint64_t bytes = EstimateLookupBytes(*request, **model);
  if (absl::Status fits = budget_->Acquire(bytes); !fits.ok()) {
    return Refuse(context, fits);
  }
  grpc::ServerUnaryReactor* reactor = new BudgetedReactor(budget_, bytes);
  std::unique_ptr<LookupJob> call = std::make_unique<LookupCall>(
      context, request, response, reactor, *std::move(model), handler_);
  absl::Status queued = batcher_->Submit(call);
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

grpc::ServerUnaryReactor* EmbeddingService::Infer(
    grpc::CallbackServerContext* context, const v1::InferRequest* request,
    v1::InferResponse* response) {
  absl::StatusOr<ValidInfer> valid = infer_handler_->Validate(*request);
  if (!valid.ok()) return Refuse(context, valid.status());
  const uint64_t bytes = EstimateInferBytes(*request, *valid->model);
  if (absl::Status fits = budget_->Acquire(bytes); !fits.ok()) {
    return Refuse(context, fits);
  }
  grpc::ServerUnaryReactor* reactor = new BudgetedReactor(budget_, bytes);
  std::unique_ptr<LookupJob> call = std::make_unique<InferCall>(
      context, request, response, reactor, *std::move(valid), infer_handler_);
  absl::Status queued = batcher_->Submit(call);
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace strata
