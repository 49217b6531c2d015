// `strata bench --target --infer`: Infer requests for the load generator.
// Each request holds `batch` samples: seeded normal dense features of the
// model's width, and for every table the dense network reads, keys from the
// KeyStream of shared/BENCHMARKS.md — one per sample, or bags of
// `bag_size` keys pooled SUM or MEAN.
//
// Plain functions; no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/admin.pb.h"
#include "strata/v1/embedding.pb.h"

namespace strata::bench {

struct InferPoolOptions {
  uint32_t batch = 128;
  uint32_t bag_size = 1;
  std::string pooling = "none";  // none (one-hot), sum or mean
  double zipf = 1.05;
  uint64_t seed = 1;
  uint32_t pool = 256;
};

// FAILED_PRECONDITION when `model` has no dense network.
[[nodiscard]] absl::StatusOr<std::vector<v1::InferRequest>> MakeInferPool(
    const InferPoolOptions& options, const v1::ModelInfo& model);

}  // namespace strata::bench
