#include "engine/cuda/gpu_cache.h"

#include "engine/cuda/gpu_cache_layout.h"

namespace strata {

absl::Status GpuCacheOptions::Validate() const {
  if (dim == 0) return absl::InvalidArgumentError("gpu cache: dim is 0");
  if (capacity_rows == 0) {
    return absl::InvalidArgumentError("gpu cache: capacity_rows is 0");
  }
  if (streams == 0) {
    return absl::InvalidArgumentError("gpu cache: streams must be positive");
  }
  return absl::OkStatus();
}

uint64_t GpuCacheBytes(const GpuCacheOptions& options) {
  return GpuCacheLayout::For(options).bytes;
}

}  // namespace strata
