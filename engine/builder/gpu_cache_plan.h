// The GPU cache part of the engine: which backend serves tier 1, how many
// rows each table's cache holds, on which device. MakeGpuCacheFactory turns
// the options into the registry's top-tier factory, which logs each table's
// exact cache bytes before allocating them and refuses (RESOURCE_EXHAUSTED,
// with the numbers) a plan that does not fit the device's free memory.
//
// Thread safety: the factory is called by ModelRegistry::Open, one table at
// a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/model/model_registry.h"

namespace strata {

struct GpuCacheConfig {
  // "auto" (cuda when a device is visible, else off with a log line),
  // "cuda", "reference" (the host backend: the GPU path without a GPU) or
  // "off".
  std::string backend = "auto";
  // Cache bytes over all tables, split in proportion to table size; 0 uses
  // `fraction` instead.
  uint64_t bytes = 0;
  // Fraction of each table's rows cached, when `bytes` is 0.
  double fraction = 0.05;
  // Comma-separated CUDA device indices tables are spread over (round
  // robin); empty = every visible device.
  std::string devices;
  // Lookup streams per table cache (cuda backend).
  uint32_t streams_per_device = 2;
  // Folder of warm-up key lists, <model>/<table>.keys (gpu_warm_up.h);
  // empty = start cold.
  std::string warm_keys_dir;

  [[nodiscard]] absl::Status Validate() const;
};

// The factory for RegistryOptions::top_tier, or an empty function when the
// resolved backend is off. `resolved` (optional) receives the backend used.
[[nodiscard]] absl::StatusOr<TopTierFactory> MakeGpuCacheFactory(
    const GpuCacheConfig& config, std::string* resolved = nullptr);

}  // namespace strata
