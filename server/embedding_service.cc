#include "server/embedding_service.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <memory>

#include "server/grpc_status.h"
#include "server/infer_call.h"
#include "server/lookup_call.h"
#include "server/lookup_reply.h"

namespace strata {

namespace {

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context,
                                 const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Parses the raw request into the pooled message (the slices are read in
// place, as gRPC's own deserializer does).
absl::Status ParseLookupRequest(const grpc::ByteBuffer& bytes,
                                v1::LookupRequest* request) {
  grpc::ByteBuffer shared(bytes);  // shares the slices, copies nothing
  grpc::ProtoBufferReader reader(&shared);
  if (!request->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(
        "the request is not a serialized strata.v1.LookupRequest");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* EmbeddingService::Lookup(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* reply) {
  ReplyMessagesRef messages(
      new ReplyMessages(lookup_messages_->AllocateMessages()));
  if (absl::Status parsed = ParseLookupRequest(*request, messages->request());
      !parsed.ok()) {
    return Refuse(context, parsed);
  }
  absl::StatusOr<std::shared_ptr<const Model>> model =
      handler_->Validate(*messages->request());
  if (!model.ok()) return Refuse(context, model.status());
  const uint64_t bytes = EstimateLookupBytes(*messages->request(), **model);
  if (absl::Status fits = budget_->Acquire(bytes); !fits.ok()) {
    return Refuse(context, fits);
  }
  grpc::ServerUnaryReactor* reactor = new BudgetedReactor(budget_, bytes);
  std::unique_ptr<LookupJob> call =
      std::make_unique<LookupCall>(context, std::move(messages), reply, reactor,
                                   *std::move(model), handler_);
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
