// LookupCall: one gRPC Lookup as a LookupJob. Built in the reaction (it only
// sizes the reply), run by the batcher on a worker, and finished there:
// pooled tables' bags are summed or averaged, and rows narrowed to the
// requested dtype, on the worker.
//
// Ownership: borrows the call's request, reply, reactor and the handler;
// holds the model it reads so a version swap cannot free it mid-call.
// Thread safety: touched by one thread at a time (see LookupJob).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "engine/batch/lookup_job.h"
#include "engine/model/model_registry.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

class LookupCall final : public LookupJob {
 public:
  LookupCall(grpc::CallbackServerContext* context,
             const v1::LookupRequest* request, v1::LookupResponse* response,
             grpc::ServerUnaryReactor* reactor,
             std::shared_ptr<const Model> model, LookupHandler* handler);

  std::vector<TableLookup>& tables() override { return tables_; }
  std::chrono::system_clock::time_point deadline() const override {
    return context_->deadline();
  }
  bool cancelled() const override { return context_->IsCancelled(); }
  int64_t miss_budget_us() const override { return request_->miss_budget_us(); }
  void Finish(absl::Status status) override;

 private:
  grpc::CallbackServerContext* const context_;
  const v1::LookupRequest* const request_;
  v1::LookupResponse* const response_;
  grpc::ServerUnaryReactor* const reactor_;
  const std::shared_ptr<const Model> model_;
  LookupHandler* const handler_;
  std::vector<TableLookup> tables_;
  // Per table: the rows of a pooled table's keys, pooled into the reply in
  // Finish (empty for unpooled tables, whose rows go straight to the reply;
  // empty altogether when no table of the request is pooled).
  std::vector<std::vector<float>> unpooled_;
};

}  // namespace strata
