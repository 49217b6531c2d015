// LookupHandler: validates a LookupRequest and answers it from the model
// registry. Pure request logic, shared by the gRPC service and tests; knows
// nothing of threads or reactors.
//
// Thread safety: safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

struct LookupCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> keys{0};
  std::atomic<uint64_t> default_rows{0};
};

class LookupHandler {
 public:
  LookupHandler(const ModelRegistry* registry, uint32_t max_keys_per_request)
      : registry_(registry), max_keys_per_request_(max_keys_per_request) {}

  // Cheap checks a reaction may run inline: the model and tables exist, no
  // table is listed twice, the key count is within the limit.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Model>> Validate(
      const v1::LookupRequest& request) const;

  // Reads every row; may do I/O, so it runs on a worker.
  [[nodiscard]] absl::Status Execute(const Model& model,
                                     const v1::LookupRequest& request,
                                     v1::LookupResponse* response);

  const LookupCounters& counters() const { return counters_; }

 private:
  // Constant after construction.
  const ModelRegistry* const registry_;
  const uint32_t max_keys_per_request_;

  LookupCounters counters_;
};

}  // namespace strata
