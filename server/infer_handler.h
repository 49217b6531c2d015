// InferHandler: validates an InferRequest against the model registry and
// keeps the service's inference counters. Pure request logic; knows nothing
// of threads or reactors.
//
// Thread safety: safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

struct InferCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> samples{0};
  std::atomic<uint64_t> keys{0};
  std::atomic<uint64_t> default_rows{0};
};

// A validated request: its model, and for each of the model's bound tables
// (DenseModel::tables() order) the index of the request's entry for it.
struct ValidInfer {
  std::shared_ptr<const Model> model;
  std::vector<int> table_entries;
};

class InferHandler {
 public:
  InferHandler(const ModelRegistry* registry, uint32_t max_keys_per_request)
      : registry_(registry), max_keys_per_request_(max_keys_per_request) {}

  // Checks a reaction may run inline: the model exists and has a dense
  // network; batch within 1..max_infer_batch; the dense features are B x F
  // finite floats; the request lists exactly the bound tables, each with B
  // keys or B bags; the key count is within the limit. INVALID_ARGUMENT
  // names the field.
  [[nodiscard]] absl::StatusOr<ValidInfer> Validate(
      const v1::InferRequest& request) const;

  // Counts one answered request.
  void Record(uint64_t samples, uint64_t keys, uint64_t default_rows) {
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    counters_.samples.fetch_add(samples, std::memory_order_relaxed);
    counters_.keys.fetch_add(keys, std::memory_order_relaxed);
    counters_.default_rows.fetch_add(default_rows, std::memory_order_relaxed);
  }

  const InferCounters& counters() const { return counters_; }

 private:
  // Constant after construction.
  const ModelRegistry* const registry_;
  const uint32_t max_keys_per_request_;

  InferCounters counters_;
};

}  // namespace strata
