// EmbeddingService: strata.v1.Embedding over gRPC's callback API. A reaction
// only validates and hands the call to a worker; the worker reads the rows
// and finishes the call. Nothing here blocks or does I/O on a gRPC thread.
//
// Ownership: borrows the handler and the pool, which must outlive the server.
// Thread safety: gRPC calls it from many threads at once.
#pragma once

#include "engine/batch/worker_pool.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.grpc.pb.h"

namespace strata {

class EmbeddingService final : public v1::Embedding::CallbackService {
 public:
  EmbeddingService(LookupHandler* handler, WorkerPool* pool)
      : handler_(handler), pool_(pool) {}

  grpc::ServerUnaryReactor* Lookup(grpc::CallbackServerContext* context,
                                   const v1::LookupRequest* request,
                                   v1::LookupResponse* response) override;

 private:
  LookupHandler* const handler_;
  WorkerPool* const pool_;
};

}  // namespace strata
