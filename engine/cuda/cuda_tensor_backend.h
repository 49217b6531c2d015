// The cuda TensorBackend: the dense executor's tensor operations on one CUDA
// device, behind this plain C++ header (no CUDA types). Built from
// cuda_tensor_backend.cu when nvcc is found, else from
// cuda_tensor_backend_stub.cc, whose factory says the build has no CUDA.
//
// Every operation is enqueued on the backend's one stream (created by the
// factory, destroyed with the backend), in call order; errors found on the
// device (a Gather index out of range, a kernel fault) are reported by
// Synchronize. CopyToDevice and CopyToHost wait for the stream (the source
// may be reused, the data are there when they return); CopyToHost then
// reports what Synchronize would. Matrix products use cuBLAS when the process
// can load it (libcublas.so, found at run time: nothing links it), else a
// built-in tiled kernel; STRATA_CUDA_GEMM=builtin in the environment forces the
// kernel. Arithmetic is IEEE float32 (no fast-math approximations), so results
// match the CPU backend's to rounding.
//
// Ownership: the caller owns the backend and everything it Allocs; memory
// must be freed before the backend is destroyed.
// Thread safety: one thread at a time per instance (the TensorBackend
// contract); instances, on the same device or not, are independent.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "engine/common/tensor_backend.h"

namespace strata {

// A backend on CUDA device `device` (0-based). FAILED_PRECONDITION when the
// build has no CUDA, the process sees no device, or `device` is not one.
[[nodiscard]] absl::StatusOr<std::unique_ptr<TensorBackend>>
NewCudaTensorBackend(int device);

}  // namespace strata
