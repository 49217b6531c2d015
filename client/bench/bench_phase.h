// The timed phases of `strata bench --in-process`: a subject (a lookup
// function) driven from one thread per key stream for a while, its keys,
// seconds and batch latencies accumulated over rounds.
//
// Thread safety: RunPhase starts and joins its own threads; a Phase is
// touched by one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/types/span.h"

namespace strata {

// Keys, seconds and batch latencies accumulated over the rounds of one
// subject; the subjects of a run take turns, so background load on a shared
// machine hits them alike.
struct Phase {
  uint64_t keys = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_ns;

  double keys_per_s() const { return seconds > 0 ? keys / seconds : 0; }
  double Percentile_us(double q) {
    if (latencies_ns.empty()) return 0;
    auto it = latencies_ns.begin() +
              static_cast<ptrdiff_t>(q * (latencies_ns.size() - 1));
    std::nth_element(latencies_ns.begin(), it, latencies_ns.end());
    return *it / 1000.0;
  }
};

using LookupFn = std::function<void(uint32_t, absl::Span<const int64_t>)>;

// Runs `lookup(thread, keys)` on one thread per stream, each over its own key
// buffer in batches from `*cursor`, for `seconds`, and adds to `*phase`.
void RunPhase(const std::vector<std::vector<int64_t>>& streams, uint32_t batch,
              double seconds, const LookupFn& lookup,
              std::vector<size_t>* cursor, Phase* phase);

}  // namespace strata
