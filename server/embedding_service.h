// EmbeddingService: strata.v1.Embedding over gRPC's callback API. A reaction
// (Lookup or Infer) only validates the request and hands it to the batcher,
// which reads the rows on a worker and finishes the call there. Nothing here
// blocks or does I/O on a gRPC thread. A valid call is admitted only if its
// bytes fit the in-flight budget (inflight_budget.h).
//
// Lookup is a raw method: the service parses the request into pooled
// messages itself and writes the reply's rows to the wire without copying
// them (lookup_reply.h); the bytes on the wire are the same LookupRequest and
// LookupResponse as ever.
//
// Ownership: borrows the handlers, the batcher, the budget and the Lookup
// message pool, which must outlive the server.
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include <grpcpp/support/message_allocator.h>

#include "engine/batch/batcher.h"
#include "server/infer_handler.h"
#include "server/inflight_budget.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.grpc.pb.h"

namespace strata {

using LookupMessageAllocator =
    grpc::MessageAllocator<v1::LookupRequest, v1::LookupResponse>;

class EmbeddingService final
    : public v1::Embedding::WithRawCallbackMethod_Lookup<
          v1::Embedding::CallbackService> {
 public:
  EmbeddingService(LookupHandler* handler, InferHandler* infer_handler,
                   Batcher* batcher, InflightBudget* budget,
                   LookupMessageAllocator* lookup_messages)
      : handler_(handler),
        infer_handler_(infer_handler),
        batcher_(batcher),
        budget_(budget),
        lookup_messages_(lookup_messages) {}

  grpc::ServerUnaryReactor* Lookup(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* Infer(grpc::CallbackServerContext* context,
                                  const v1::InferRequest* request,
                                  v1::InferResponse* response) override;

 private:
  LookupHandler* const handler_;
  InferHandler* const infer_handler_;
  Batcher* const batcher_;
  InflightBudget* const budget_;
  LookupMessageAllocator* const lookup_messages_;
};

}  // namespace strata
