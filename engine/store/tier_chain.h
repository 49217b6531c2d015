// TierChain: the ordered tiers one table is read through, top (fastest) to
// bottom (authoritative). A lookup asks each tier only for what the tiers
// above it missed, and fills rows found below back into the tiers above.
// Keys that no tier holds get the table's default row and are reported.
//
// Ownership: the chain owns its tiers.
// Thread safety: safe for concurrent calls (every Tier is).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/store/tier.h"

namespace strata {

class TierChain {
 public:
  // `tiers` must be non-empty and share one dim.
  TierChain(std::vector<std::unique_ptr<Tier>> tiers, float default_value);

  uint32_t dim() const { return tiers_.front()->dim(); }
  float default_value() const { return default_value_; }
  const std::vector<std::unique_ptr<Tier>>& tiers() const { return tiers_; }

  // Fills every row of `values`. Appends the positions of keys that no tier
  // holds (their rows are the default row) to `defaulted`, ascending.
  [[nodiscard]] absl::Status Lookup(absl::Span<const int64_t> keys,  // (n)
                                    absl::Span<float> values,  // (n, dim)
                                    std::vector<size_t>* defaulted) const;

 private:
  // Constant after construction.
  std::vector<std::unique_ptr<Tier>> tiers_;
  float default_value_;
};

}  // namespace strata
