// Every Tier implementation, as a named factory, so one contract test can run
// against each. A new Tier adds its maker to AllTierMakers().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/store/tier.h"

namespace strata::testing {

// Keeps whatever a tier needs alive (a temp dir, a RocksDB store).
class TierHolder {
 public:
  virtual ~TierHolder() = default;
  virtual Tier& tier() = 0;
};

struct TierMaker {
  std::string name;
  std::function<std::unique_ptr<TierHolder>(uint32_t dim)> make;
};

std::vector<TierMaker> AllTierMakers();

}  // namespace strata::testing
