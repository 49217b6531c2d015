// NewCudaGpuCache in a build without CUDA (sanitizer builds, or no nvcc).
#include "engine/cuda/gpu_cache.h"

namespace strata {

absl::StatusOr<std::unique_ptr<GpuCache>> NewCudaGpuCache(
    const GpuCacheOptions&) {
  return absl::UnavailableError(
      "gpu cache: this build has no CUDA (built without nvcc or with "
      "sanitizers); use gpu_cache_backend reference or off");
}

}  // namespace strata
