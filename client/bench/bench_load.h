// Load drivers for `strata bench`: keep `concurrency` calls in flight for a
// warm-up and then a measured window, closed loop (each slot starts its next
// call when the last one ends) or open loop (calls start on a fixed schedule
// at `rps`, latency counted from the scheduled start, so a slow server cannot
// hide queueing).
//
// Thread safety: each Run* call owns its state; the callbacks it is given are
// called from many threads, but never twice at once for the same slot.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "client/bench/bench_report.h"

namespace strata::bench {

struct LoadOptions {
  uint32_t concurrency = 8;  // calls in flight
  double warmup_s = 1;       // not recorded
  double duration_s = 10;    // measured window
  double rps = 0;            // 0 = closed loop
};

// Starts one asynchronous call for `slot` (request number `seq`); the driver
// passes `done`, which the call must invoke exactly once with its status
// ("OK" or the error code name).
using AsyncIssue = std::function<void(
    uint32_t slot, uint64_t seq, std::function<void(const std::string&)> done)>;

// Makes one blocking call from `slot`'s own thread; returns its status.
using SyncCall = std::function<std::string(uint32_t slot, uint64_t seq)>;

// Runs the load and returns what the measured window recorded; `window_s`
// receives its length. Every request counts `keys_per_request` keys when OK.
LatencyLog RunAsyncLoad(const LoadOptions& options, const AsyncIssue& issue,
                        uint64_t keys_per_request, double* window_s);
LatencyLog RunSyncLoad(const LoadOptions& options, const SyncCall& call,
                       uint64_t keys_per_request, double* window_s);

}  // namespace strata::bench
