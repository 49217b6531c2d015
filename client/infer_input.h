// The JSON form of an Infer request and reply, as `strata infer` reads and
// prints them (and the tests and benchmarks use):
//   {"dense": [[f, ...], ...],                       B rows of F features
//    "keys": {"t0": [k, ...],                        one-hot: B keys
//             "t1": [[k, k], [], ...]},              multi-hot: B bags
//    "pooling": {"t1": "SUM" | "MEAN"}}              per multi-hot table
// (SUM when a multi-hot table names none). B is the number of dense rows,
// or of the first table's entries when there are no dense features.
//
// Plain functions; no state.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "strata/v1/embedding.pb.h"

namespace strata {

// INVALID_ARGUMENT naming the JSON field that is wrong.
[[nodiscard]] absl::StatusOr<v1::InferRequest> InferRequestFromJson(
    const nlohmann::json& input);

// {"model":..,"version":..,"outputs":{"out":[[...], ...]},"default_rows":N}:
// each output as nested lists of its shape.
nlohmann::json InferResponseToJson(const v1::InferResponse& reply);

}  // namespace strata
