// Warm-up of the GPU caches before the server reports SERVING: for every
// table whose chain starts with a GPU cache, reads the keys of
// `<dir>/<model>/<table>.keys` (little-endian int64, hottest first; at most
// the cache's capacity are used) through the chain with every fill done
// before the call returns, so those rows are resident when traffic starts.
// A table without a file is left cold; a file that is not whole int64s is an
// error. Logs progress.
//
// Thread safety: call before serving, from one thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "engine/model/model_registry.h"

namespace strata {

[[nodiscard]] absl::Status WarmUpGpuCaches(const ModelRegistry& registry,
                                           const std::string& dir);

}  // namespace strata
