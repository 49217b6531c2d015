// HashMapTier: an in-memory Tier, used as a bounded CPU cache in front of a
// slower tier, or unbounded as an authoritative in-memory table.
//
// Thread safety: safe for concurrent calls; keys are spread over partitions,
// each guarded by its own reader/writer lock.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/store/tier.h"

namespace strata {

struct HashMapTierOptions {
  // Upper bound on bytes held (keys and values); 0 means unbounded. Inserting
  // past it evicts other rows.
  uint64_t capacity_bytes = 0;
  // Number of independently locked partitions (rounded up to a power of two).
  uint32_t partitions = 16;

  [[nodiscard]] absl::Status Validate() const;
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<Tier>> NewHashMapTier(
    uint32_t dim, const HashMapTierOptions& options);

}  // namespace strata
