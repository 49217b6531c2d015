// The CPU TensorBackend: OpenBLAS cblas_sgemm for matrix products and plain
// loops for everything else. Data pointers are host memory.
//
// OpenBLAS is set to one thread (once per process, on the first
// NewCpuBackend): a run is single-threaded, and parallelism comes from the
// server's worker threads each running its own session.
//
// Ownership: the caller owns the backend and everything it Allocs.
// Thread safety: one instance per thread; instances are independent.
#pragma once

#include <memory>

#include "engine/common/tensor_backend.h"

namespace strata {

std::unique_ptr<TensorBackend> NewCpuBackend();

}  // namespace strata
