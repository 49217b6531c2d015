#include "engine/builder/gpu_cache_plan.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/batch/gpu_cache_tier.h"
#include "engine/cuda/device_info.h"
#include "engine/cuda/gpu_cache.h"
#include "engine/cuda/gpu_cache_layout.h"

namespace strata {
namespace {

absl::StatusOr<std::vector<int>> ParseDevices(const std::string& text) {
  std::vector<int> devices;
  for (absl::string_view d : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int device = 0;
    if (!absl::SimpleAtoi(d, &device) || device < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("gpu_devices: \"", d, "\" is not a device index"));
    }
    devices.push_back(device);
  }
  return devices;
}

// What the factory remembers between tables.
struct PlanState {
  std::vector<int> devices;
  size_t next = 0;                  // round robin over devices
  std::map<int, uint64_t> planned;  // device -> bytes so far
  std::map<int, uint64_t> free;     // device -> free bytes at start
};

}  // namespace

absl::Status GpuCacheConfig::Validate() const {
  if (backend != "auto" && backend != "cuda" && backend != "reference" &&
      backend != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "gpu_cache_backend must be auto, cuda, reference or off, got \"",
        backend, "\""));
  }
  if (!(fraction > 0 && fraction <= 1)) {
    return absl::InvalidArgumentError("gpu_cache_fraction must be in (0, 1]");
  }
  if (streams_per_device == 0) {
    return absl::InvalidArgumentError(
        "gpu_streams_per_device must be positive");
  }
  return ParseDevices(devices).status();
}

absl::StatusOr<TopTierFactory> MakeGpuCacheFactory(const GpuCacheConfig& config,
                                                   std::string* resolved) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  std::string backend = config.backend;
  const int visible = CudaDeviceCount();
  if (backend == "auto") {
    backend = visible > 0 ? "cuda" : "off";
    if (visible == 0) {
      spdlog::info("gpu cache off: {}; serving CPU-only", CudaDescription());
    }
  }
  if (resolved != nullptr) *resolved = backend;
  if (backend == "off") return TopTierFactory();
  auto state = std::make_shared<PlanState>();
  absl::StatusOr<std::vector<int>> devices = ParseDevices(config.devices);
  if (!devices.ok()) return devices.status();
  state->devices = *devices;
  if (backend == "cuda") {
    if (visible == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("gpu_cache_backend cuda: ", CudaDescription(),
                       " (use auto to run CPU-only, or reference)"));
    }
    if (state->devices.empty()) {
      for (int d = 0; d < visible; ++d) state->devices.push_back(d);
    }
    for (int d : state->devices) {
      if (d >= visible) {
        return absl::InvalidArgumentError(absl::StrCat("gpu_devices: device ",
                                                       d, " does not exist (",
                                                       visible, " visible)"));
      }
    }
  }
  if (state->devices.empty()) state->devices.push_back(0);
  return TopTierFactory([config, backend, state](const ModelManifest& model,
                                                 const TableSpec& table,
                                                 double share)
                            -> absl::StatusOr<std::unique_ptr<Tier>> {
    GpuCacheOptions o;
    o.dim = table.dim;
    const uint64_t row_bytes = uint64_t{table.dim} * sizeof(float) + 12;
    o.capacity_rows =
        config.bytes > 0
            ? static_cast<uint64_t>(share * config.bytes) / row_bytes
            : static_cast<uint64_t>(config.fraction * table.rows);
    o.capacity_rows = std::max<uint64_t>(o.capacity_rows, 8);
    o.streams = config.streams_per_device;
    o.device = state->devices[state->next++ % state->devices.size()];
    const GpuCacheLayout layout = GpuCacheLayout::For(o);
    const uint64_t bytes = layout.bytes;
    uint64_t& planned = state->planned[o.device];
    planned += bytes;
    spdlog::info(
        "gpu cache {}@{}/{}: {} rows of dim {}, {} bytes on {} {} ({} bytes "
        "planned there so far)",
        model.name, model.version, table.name, layout.slots, o.dim, bytes,
        backend, backend == "cuda" ? absl::StrCat("device ", o.device) : "host",
        planned);
    if (backend == "cuda") {
      // Read once, before this plan allocated anything on the device.
      if (state->free.count(o.device) == 0) {
        state->free[o.device] = CudaFreeMemory(o.device);
      }
      const uint64_t free = state->free[o.device];
      if (planned > free) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "gpu cache plan does not fit: device ", o.device, " has ", free,
            " bytes free, the caches planned on it need ", planned, " (table ",
            model.name, "/", table.name, " alone ", bytes,
            "); lower gpu_cache_bytes or gpu_cache_fraction, or add "
            "gpu_devices"));
      }
    }
    absl::StatusOr<std::unique_ptr<GpuCache>> cache =
        backend == "cuda" ? NewCudaGpuCache(o) : NewReferenceGpuCache(o);
    if (!cache.ok()) return cache.status();
    return std::unique_ptr<Tier>(new GpuCacheTier(std::move(*cache)));
  });
}

}  // namespace strata
