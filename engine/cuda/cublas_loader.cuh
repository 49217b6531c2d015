// CublasGemm: cuBLAS's strided-batched SGEMM on one stream, with libcublas
// loaded at run time (dlopen, once per process, never unloaded) instead of
// linked: the library and its libcublasLt weigh over 500 MB, more than a
// device pack may carry, and a process without them still runs (the cuda
// TensorBackend then uses its built-in SGEMM). Only cuBLAS's types come from
// its header.
//
// Row-major products run as the column-major C^T = op(B)^T op(A)^T: the
// operands swap and the flags stay. The math mode is cuBLAS's default (full
// float32; no TF32 unless NVIDIA_TF32_OVERRIDE asks for it).
//
// Ownership: a CublasGemm owns its handle (bound to the caller's stream,
// which must outlive it). Thread safety: one thread at a time.
#pragma once

#include <cublas_v2.h>
#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/cuda/dense_gemm.cuh"

namespace strata {
namespace dense_cuda {

// The entry points used, resolved from libcublas; all null when it does not
// load.
struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*sgemm_strided_batched)(cublasHandle_t, cublasOperation_t,
                                          cublasOperation_t, int, int, int,
                                          const float*, const float*, int,
                                          long long, const float*, int,
                                          long long, const float*, float*, int,
                                          long long, int) = nullptr;

  bool ok() const {
    return create && destroy && set_stream && sgemm_strided_batched;
  }

  static const CublasApi& Get() {
    static const CublasApi api = Load();
    return api;
  }

 private:
  static CublasApi Load() {
    CublasApi api;
    void* lib = nullptr;
    for (const std::string& name :
         {absl::StrCat("libcublas.so.", CUBLAS_VER_MAJOR),
          std::string("libcublas.so")}) {
      lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
    }
    if (lib == nullptr) return api;
    api.create =
        reinterpret_cast<decltype(api.create)>(dlsym(lib, "cublasCreate_v2"));
    api.destroy =
        reinterpret_cast<decltype(api.destroy)>(dlsym(lib, "cublasDestroy_v2"));
    api.set_stream = reinterpret_cast<decltype(api.set_stream)>(
        dlsym(lib, "cublasSetStream_v2"));
    api.sgemm_strided_batched =
        reinterpret_cast<decltype(api.sgemm_strided_batched)>(
            dlsym(lib, "cublasSgemmStridedBatched"));
    return api;
  }
};

class CublasGemm {
 public:
  // A handle on `stream` (the current device's), or null when cuBLAS does
  // not load or its handle cannot be made.
  static std::unique_ptr<CublasGemm> Create(cudaStream_t stream) {
    const CublasApi& api = CublasApi::Get();
    if (!api.ok()) return nullptr;
    cublasHandle_t handle = nullptr;
    if (api.create(&handle) != CUBLAS_STATUS_SUCCESS) return nullptr;
    if (api.set_stream(handle, stream) != CUBLAS_STATUS_SUCCESS) {
      api.destroy(handle);
      return nullptr;
    }
    return std::unique_ptr<CublasGemm>(new CublasGemm(api, handle));
  }

  ~CublasGemm() { api_.destroy(handle_); }
  CublasGemm(const CublasGemm&) = delete;
  CublasGemm& operator=(const CublasGemm&) = delete;

  // Whether cuBLAS takes `p` as it is (int sizes, leading dimensions it
  // accepts, k > 0); else the caller uses the built-in kernel.
  static bool Fits(const GemmParams& p) {
    const auto fits_int = [](int64_t v) { return v >= 0 && v <= INT_MAX; };
    // Column-major view: op(B)^T is (n, k), op(A)^T is (k, m), C^T (n, m).
    const int64_t rows_b = p.trans_b ? p.k : p.n;
    const int64_t rows_a = p.trans_a ? p.m : p.k;
    return fits_int(p.m) && fits_int(p.n) && p.k > 0 && fits_int(p.k) &&
           fits_int(p.batch) && fits_int(p.lda) && fits_int(p.ldb) &&
           fits_int(p.ldc) && p.ldb >= std::max<int64_t>(1, rows_b) &&
           p.lda >= std::max<int64_t>(1, rows_a) &&
           p.ldc >= std::max<int64_t>(1, p.n);
  }

  absl::Status Run(const GemmParams& p) {
    const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasStatus_t s = api_.sgemm_strided_batched(
        handle_, op_b, op_a, static_cast<int>(p.n), static_cast<int>(p.m),
        static_cast<int>(p.k), &p.alpha, p.b, static_cast<int>(p.ldb),
        p.stride_b, p.a, static_cast<int>(p.lda), p.stride_a, &p.beta, p.c,
        static_cast<int>(p.ldc), p.stride_c, static_cast<int>(p.batch));
    if (s != CUBLAS_STATUS_SUCCESS) {
      return absl::InternalError(absl::StrCat(
          "cuda tensor backend: cublasSgemmStridedBatched failed (status ",
          static_cast<int>(s), ")"));
    }
    return absl::OkStatus();
  }

 private:
  CublasGemm(const CublasApi& api, cublasHandle_t handle)
      : api_(api), handle_(handle) {}

  const CublasApi& api_;
  const cublasHandle_t handle_;
};

}  // namespace dense_cuda
}  // namespace strata
