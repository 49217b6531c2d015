#include <cuda_runtime.h>

#include <string>

#include "engine/cuda/device_info.h"

namespace strata {

int CudaDeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return 0;
  }
  return n;
}

uint64_t CudaFreeMemory(int device) {
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  size_t free = 0, total = 0;
  const bool ok = cudaSetDevice(device) == cudaSuccess &&
                  cudaMemGetInfo(&free, &total) == cudaSuccess;
  if (!ok) cudaGetLastError();
  cudaSetDevice(previous);  // whatever happened, leave the caller's device
  return ok ? free : 0;
}

std::string CudaDescription() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device: ") + cudaGetErrorString(err);
  }
  std::string out = std::to_string(n) + " CUDA device(s)";
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
      out += std::string("; ") + std::to_string(i) + ": " + prop.name;
    }
  }
  return out;
}

}  // namespace strata
