// What GPUs this process can use. Plain C++: callers never see CUDA types.
// Built from device_info.cu when nvcc is found, else from
// device_info_stub.cc, which reports no device.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// Number of usable CUDA devices; 0 without a driver, a device, or CUDA.
int CudaDeviceCount();

// Free memory of `device` in bytes; 0 when it cannot be read.
uint64_t CudaFreeMemory(int device);

// One line about the CUDA runtime for logs ("no CUDA device: <reason>").
std::string CudaDescription();

}  // namespace strata
