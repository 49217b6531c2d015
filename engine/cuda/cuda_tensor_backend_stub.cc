// NewCudaTensorBackend in a build without CUDA (sanitizer builds, or no
// nvcc).
#include "engine/cuda/cuda_tensor_backend.h"

namespace strata {

absl::StatusOr<std::unique_ptr<TensorBackend>> NewCudaTensorBackend(int) {
  return absl::FailedPreconditionError(
      "cuda tensor backend: this build has no CUDA (built without nvcc or "
      "with sanitizers)");
}

}  // namespace strata
