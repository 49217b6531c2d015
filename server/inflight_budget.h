// InflightBudget: the bytes strata-server may hold for admitted calls — the
// request, the rows read for it and the reply — from admission until gRPC
// has sent the reply. A call whose estimate does not fit is refused at once
// with RESOURCE_EXHAUSTED, so memory stays bounded in bytes under any offered
// load (a request count alone does not: a 128-sample Criteo reply is ~850
// KB, a 1-key one 300 bytes), and the server recovers as soon as load drops.
//
// BudgetedReactor is the unary reactor of an admitted call: its OnDone, which
// gRPC runs after the status and reply are sent, gives the bytes back.
//
// Thread safety: InflightBudget is lock-free and safe for concurrent calls;
// a BudgetedReactor belongs to its call and deletes itself.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "engine/model/model_registry.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

class InflightBudget {
 public:
  explicit InflightBudget(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Takes `bytes` if they fit: OK, RESOURCE_EXHAUSTED (no room now; retry
  // with backoff), or INVALID_ARGUMENT (larger than the whole budget).
  // max_bytes 0 admits everything, still counting.
  [[nodiscard]] absl::Status Acquire(uint64_t bytes);
  void Release(uint64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
  }

  uint64_t max_bytes() const { return max_bytes_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t rejected() const {
    return rejected_.load(std::memory_order_relaxed);
  }

 private:
  const uint64_t max_bytes_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> peak_{0};
  std::atomic<uint64_t> rejected_{0};
};

class BudgetedReactor final : public grpc::ServerUnaryReactor {
 public:
  BudgetedReactor(InflightBudget* budget, uint64_t bytes)
      : budget_(budget), bytes_(bytes) {}
  void OnDone() override {
    budget_->Release(bytes_);
    delete this;
  }
  // OnDone is two trivial steps that never block, so gRPC may run it on the
  // thread that completes the call instead of scheduling it on its callback
  // executor (one thread wake-up less per call, as for gRPC's own default
  // reactor). gRPC marks this hook internal; should a release drop it, the
  // `override` stops the build rather than silently changing behaviour.
  bool InternalInlineable() override { return true; }

 private:
  InflightBudget* const budget_;
  const uint64_t bytes_;
};

// What a validated call will hold at its peak: its keys, the float32 rows
// read for them (pooled bags, and Infer, keep them beside the reply), the
// reply, and for Infer the dense features and outputs.
uint64_t EstimateLookupBytes(const v1::LookupRequest& request,
                             const Model& model);
uint64_t EstimateInferBytes(const v1::InferRequest& request,
                            const Model& model);

}  // namespace strata
