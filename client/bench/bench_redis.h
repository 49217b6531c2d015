// The Redis baseline of `strata bench --compare-redis`: the same rows stored
// in a plain redis-server as raw bytes (one key per row), read with one MGET
// per request of the same key stream — what a team would run instead of
// Strata.
//
// Thread safety: RunRedisMget opens one connection per load slot.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/bench/bench_load.h"
#include "client/strata_client.h"

namespace strata::bench {

// Copies every row of `model` from Strata into the Redis at `address`
// (host:port), unless a marker says this model version is there already.
[[nodiscard]] absl::Status LoadRowsIntoRedis(StrataClient& client,
                                             const v1::ModelInfo& model,
                                             const std::string& address);

// MGET load: request i of the run asks for the keys of pool[i % size].
[[nodiscard]] absl::StatusOr<LatencyLog> RunRedisMget(
    const LoadOptions& options, const std::string& address,
    const v1::ModelInfo& model, const std::vector<v1::LookupRequest>& pool,
    uint64_t keys_per_request, double* window_s);

}  // namespace strata::bench
