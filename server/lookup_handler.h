// LookupHandler: validates a LookupRequest against the model registry and
// keeps the service's lookup counters. Pure request logic; knows nothing of
// threads or reactors.
//
// Thread safety: safe for concurrent calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"
#include "strata/v1/embedding.pb.h"

namespace strata {

// The model a request names at `version` (0 = serving); NOT_FOUND saying
// whether the model or only that version is missing.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const Model>> FindModel(
    const ModelRegistry& registry, const std::string& name, uint64_t version);

// Offsets and pooling of one table's keys (see TableKeys): INVALID_ARGUMENT
// naming the table.
[[nodiscard]] absl::Status ValidateBags(const v1::TableKeys& t);

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

  // Counts one answered request.
  void Record(uint64_t keys, uint64_t default_rows) {
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    counters_.keys.fetch_add(keys, std::memory_order_relaxed);
    counters_.default_rows.fetch_add(default_rows, std::memory_order_relaxed);
  }

  const LookupCounters& counters() const { return counters_; }

 private:
  // Constant after construction.
  const ModelRegistry* const registry_;
  const uint32_t max_keys_per_request_;

  LookupCounters counters_;
};

}  // namespace strata
