// LookupJob: one caller's lookup as the batcher sees it — for each table,
// the chain to read, the keys, and where the rows go. The server wraps a gRPC
// call in one; tests and benchmarks can wrap anything.
//
// Ownership: the batcher owns a submitted job until it calls Finish, then
// destroys it. The spans must stay valid until Finish.
// Thread safety: a job is touched by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/store/tier_chain.h"

namespace strata {

struct TableLookup {
  const TierChain* chain = nullptr;
  absl::Span<const int64_t> keys;  // (n)
  absl::Span<float> values;        // (n, dim) filled by the batcher
  std::vector<size_t> defaulted;   // filled by the batcher, ascending
};

class InferJob;

class LookupJob {
 public:
  virtual ~LookupJob() = default;

  // Non-null when the job's rows feed a dense network (infer_job.h).
  virtual InferJob* AsInfer() { return nullptr; }

  // Every table of the request; the batcher fills values and defaulted.
  virtual std::vector<TableLookup>& tables() = 0;
  // The caller stops waiting at this time (max() = never).
  virtual std::chrono::system_clock::time_point deadline() const = 0;
  // The caller has gone (cancelled, or its connection closed): a queued job
  // is dropped unread, like an expired one.
  virtual bool cancelled() const { return false; }
  // Asynchronous-mode miss budget of this request; 0 = the server default.
  virtual int64_t miss_budget_us() const { return 0; }
  // Called exactly once, on a worker thread: OK with every row filled, or
  // the error (DEADLINE_EXCEEDED, or a tier's failure).
  virtual void Finish(absl::Status status) = 0;

  size_t num_keys() {
    size_t n = 0;
    for (const TableLookup& t : tables()) n += t.keys.size();
    return n;
  }
};

}  // namespace strata
