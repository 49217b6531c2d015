// One contract, run against every Tier implementation (tier_makers.cc).
// The cases live in tier_contract.h so other test binaries reuse them.
#include "tests/unit/tier_contract.h"

#include <catch2/catch.hpp>

#include "tests/unit/tier_makers.h"

namespace strata::testing {

TEST_CASE("Tier contract", "[tier]") {
  for (const TierMaker& maker : AllTierMakers()) {
    DYNAMIC_SECTION(maker.name) { RunTierContract(maker.make); }
  }
}

}  // namespace strata::testing
