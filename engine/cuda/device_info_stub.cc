#include "engine/cuda/device_info.h"

namespace strata {

int CudaDeviceCount() { return 0; }

uint64_t CudaFreeMemory(int) { return 0; }

std::string CudaDescription() { return "no CUDA device: built without CUDA"; }

}  // namespace strata
