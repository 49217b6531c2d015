#include "engine/store/tier_chain.h"

#include <algorithm>
#include <utility>

#include "engine/common/status_macros.h"

namespace strata {

TierChain::TierChain(std::vector<std::unique_ptr<Tier>> tiers,
                     float default_value)
    : tiers_(std::move(tiers)), default_value_(default_value) {}

absl::Status TierChain::Lookup(absl::Span<const int64_t> keys,
                               absl::Span<float> values,
                               std::vector<size_t>* defaulted) const {
  const uint32_t d = dim();
  // Positions (into `keys`) still unanswered, and their keys.
  std::vector<size_t> pending;
  std::vector<size_t> missing;
  STRATA_RETURN_IF_ERROR(tiers_[0]->Lookup(keys, values, &pending));

  std::vector<int64_t> sub_keys;
  std::vector<float> sub_values;
  for (size_t t = 1; t < tiers_.size() && !pending.empty(); ++t) {
    sub_keys.resize(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) sub_keys[i] = keys[pending[i]];
    sub_values.resize(pending.size() * d);
    missing.clear();
    STRATA_RETURN_IF_ERROR(tiers_[t]->Lookup(sub_keys, absl::MakeSpan(sub_values),
                                             &missing));

    // Compact the rows found at this tier, scatter them to the caller, and
    // fill them into every tier above.
    std::vector<int64_t> found_keys;
    std::vector<float> found_values;
    found_keys.reserve(pending.size() - missing.size());
    found_values.reserve(found_keys.capacity() * d);
    std::vector<size_t> still_pending;
    still_pending.reserve(missing.size());
    size_t m = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (m < missing.size() && missing[m] == i) {
        still_pending.push_back(pending[i]);
        ++m;
        continue;
      }
      const float* row = &sub_values[i * d];
      std::copy(row, row + d, &values[pending[i] * d]);
      found_keys.push_back(sub_keys[i]);
      found_values.insert(found_values.end(), row, row + d);
    }
    for (size_t up = 0; up < t && !found_keys.empty(); ++up) {
      STRATA_RETURN_IF_ERROR(tiers_[up]->Upsert(found_keys, found_values));
    }
    pending = std::move(still_pending);
  }

  for (size_t pos : pending) {
    std::fill(&values[pos * d], &values[pos * d] + d, default_value_);
    defaulted->push_back(pos);
  }
  return absl::OkStatus();
}

}  // namespace strata
