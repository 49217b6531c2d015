// LookupCall: one gRPC Lookup as a LookupJob. Built in the reaction (it only
// sizes the reply), run by the batcher on a worker, and finished there:
// pooled tables' bags are summed or averaged, rows narrowed to the requested
// dtype, and the reply written to the wire buffer without copying its rows
// (lookup_reply.h), all on the worker.
//
// Ownership: holds one reference on the call's pooled messages (dropped when
// the job is destroyed; the rows' slices hold their own); borrows the wire
// reply, the reactor and the handler; holds the model it reads so a version
// swap cannot free it mid-call.
// Thread safety: touched by one thread at a time (see LookupJob).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "engine/batch/lookup_job.h"
#include "engine/model/model_registry.h"
#include "server/lookup_handler.h"
#include "server/lookup_reply.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

class LookupCall final : public LookupJob {
 public:
  // Takes over the reference `messages` holds; its request is parsed and
  // validated against `model`.
  LookupCall(grpc::CallbackServerContext* context, ReplyMessagesRef messages,
             grpc::ByteBuffer* wire_reply, grpc::ServerUnaryReactor* reactor,
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
  const ReplyMessagesRef messages_;
  const v1::LookupRequest* const request_;
  v1::LookupResponse* const response_;
  grpc::ByteBuffer* const wire_reply_;
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
