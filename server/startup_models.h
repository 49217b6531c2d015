// Startup models: the models a server imports into its data dir the first
// time it starts (the hps_models option: a HugeCTR ps.json's models). Each
// model that has no stored version is queued on the loader; one that has is
// left alone, so a restart reopens what the first start imported.
//
// Thread safety: free functions over thread-safe engine parts.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/builder/engine.h"
#include "engine/builder/hps_config.h"

namespace strata {

// Queues the loads; returns the names of the models queued.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> SubmitStartupModels(
    const std::vector<HpsModel>& models, Engine* engine);

// True once every load of `names` has finished (served or failed); the
// failures are logged once each by the loader.
bool StartupModelsDone(const std::vector<std::string>& names, Engine* engine);

}  // namespace strata
