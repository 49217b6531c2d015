// EmbeddingService: strata.v1.Embedding over gRPC's callback API. A reaction
// (Lookup or Infer) only validates the request and hands it to the batcher,
// which reads the rows on a worker and finishes the call there. Nothing here
// blocks or does I/O on a gRPC thread.
//
// Ownership: borrows the handler and the batcher, which must outlive the
// server.
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include "engine/batch/batcher.h"
#include "server/infer_handler.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.grpc.pb.h"

namespace strata {

class EmbeddingService final : public v1::Embedding::CallbackService {
 public:
  EmbeddingService(LookupHandler* handler, InferHandler* infer_handler,
                   Batcher* batcher)
      : handler_(handler), infer_handler_(infer_handler), batcher_(batcher) {}

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
};

}  // namespace strata
