// InferCall: one gRPC Infer as an InferJob. Built in the reaction (it only
// sizes the row buffers), looked up and run through the dense network by the
// batcher on a worker, and finished there.
//
// Ownership: borrows the call's request, reply, reactor and the handler;
// holds the model it reads so a version swap cannot free it mid-call.
// Thread safety: touched by one thread at a time (see LookupJob).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "engine/batch/infer_job.h"
#include "engine/model/model_registry.h"
#include "server/infer_handler.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

class InferCall final : public InferJob {
 public:
  InferCall(grpc::CallbackServerContext* context,
            const v1::InferRequest* request, v1::InferResponse* response,
            grpc::ServerUnaryReactor* reactor, ValidInfer valid,
            InferHandler* handler);

  std::vector<TableLookup>& tables() override { return tables_; }
  std::chrono::system_clock::time_point deadline() const override {
    return context_->deadline();
  }
  bool cancelled() const override { return context_->IsCancelled(); }
  int64_t miss_budget_us() const override { return request_->miss_budget_us(); }
  void Finish(absl::Status status) override;

  const DenseModel& dense_model() const override { return *model_->dense(); }
  int64_t samples() const override { return request_->batch(); }
  absl::Span<const float> dense_features() const override;
  Bags bags(size_t table) const override;
  void TakeOutputs(const DenseSession& session, int64_t first) override;

 private:
  const v1::TableKeys& entry(size_t table) const {
    return request_->tables(entries_[table]);
  }

  grpc::CallbackServerContext* const context_;
  const v1::InferRequest* const request_;
  v1::InferResponse* const response_;
  grpc::ServerUnaryReactor* const reactor_;
  const std::shared_ptr<const Model> model_;
  const std::vector<int> entries_;  // request entry of each bound table
  InferHandler* const handler_;
  std::vector<TableLookup> tables_;
  std::vector<std::vector<float>> rows_;  // (n, dim) per bound table
};

}  // namespace strata
