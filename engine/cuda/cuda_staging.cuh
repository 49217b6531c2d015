// Host-side CUDA helpers of the cuda GpuCache backend: CUDA errors as
// absl::Status (STRATA_CUDA_TRY), and Staging, a pinned host buffer paired
// with a device buffer that grows (never shrinks) to the largest batch seen.
//
// Thread safety: a Staging is used by one thread at a time (its owner's
// mutex guards it).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata {

inline absl::Status CudaError(const char* what, cudaError_t err) {
  return absl::InternalError(
      absl::StrCat("gpu cache (cuda): ", what, ": ", cudaGetErrorString(err)));
}

#define STRATA_CUDA_TRY(expr)                   \
  do {                                          \
    const cudaError_t strata_cuda_err = (expr); \
    if (strata_cuda_err != cudaSuccess) {       \
      return CudaError(#expr, strata_cuda_err); \
    }                                           \
  } while (0)

// A pinned host buffer and a device buffer of the same size that grow (never
// shrink) to the largest batch seen; reallocated only then.
struct Staging {
  void* host = nullptr;
  void* dev = nullptr;
  size_t bytes = 0;

  absl::Status Reserve(size_t need, bool pinned = true) {
    if (need <= bytes) return absl::OkStatus();
    size_t grow = 4096;
    while (grow < need) grow <<= 1;
    Free();
    if (pinned) STRATA_CUDA_TRY(cudaMallocHost(&host, grow));
    STRATA_CUDA_TRY(cudaMalloc(&dev, grow));
    bytes = grow;
    return absl::OkStatus();
  }
  void Free() {
    if (host != nullptr) cudaFreeHost(host);
    if (dev != nullptr) cudaFree(dev);
    host = dev = nullptr;
    bytes = 0;
  }
  template <typename T>
  T* h() const {
    return static_cast<T*>(host);
  }
  template <typename T>
  T* d() const {
    return static_cast<T*>(dev);
  }
};

}  // namespace strata
