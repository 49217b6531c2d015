// EmbeddingService: strata.v1.Embedding over gRPC's callback API. A reaction
// (Lookup or Infer) only validates the request and hands it to the batcher,
// which reads the rows on a worker and finishes the call there. Nothing here
// blocks or does I/O on a gRPC thread. A valid call is admitted only if its
// bytes fit the in-flight budget (inflight_budget.h).
//
// Ownership: borrows the handlers, the batcher and the budget, which must
// outlive the server.
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include "engine/batch/batcher.h"
#include "server/infer_handler.h"
#include "server/inflight_budget.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.grpc.pb.h"

namespace strata {

class EmbeddingService final : public v1::Embedding::CallbackService {
 public:
  EmbeddingService(LookupHandler* handler, InferHandler* infer_handler,
                   Batcher* batcher, InflightBudget* budget)
      : handler_(handler),
        infer_handler_(infer_handler),
        batcher_(batcher),
        budget_(budget) {}

  grpc::ServerUnaryReactor* Lookup(grpc::CallbackServerContext* context,
                                   const v1::LookupRequest* request,
                                   v1::LookupResponse* response) override;
  grpc::ServerUnaryReactor* Infer(grpc::CallbackServerContext* context,
                                  const v1::InferRequest* request,
                                  v1::InferResponse* response) override;

 private:
  LookupHandler* const handler_;
  InferHandler* const infer_handler_;
  Batcher* const batcher_;
  InflightBudget* const budget_;
};

}  // namespace strata
