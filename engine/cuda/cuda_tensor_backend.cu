// The cuda TensorBackend (see cuda_tensor_backend.h): host-side planning of
// each operation (argument checks, dims collapsed as the CPU backend does,
// parameters packed by value) and launches on the backend's one stream. The
// kernels are in dense_kernels.cuh and dense_gemm.cuh; cuBLAS, when it loads,
// is in cublas_loader.cuh.
//
// Errors: a bad argument or a failed launch returns at once; faults on the
// device and out-of-range Gather indices (a flag in device memory) are
// reported by the next Synchronize or CopyToHost (which synchronizes), with
// any error that Free could not report itself.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/cuda/cublas_loader.cuh"
#include "engine/cuda/cuda_tensor_backend.h"
#include "engine/cuda/dense_gemm.cuh"
#include "engine/cuda/dense_kernels.cuh"

namespace strata {
namespace {

using namespace dense_cuda;  // NOLINT: the kernels' vocabulary

absl::Status CudaError(const char* what, cudaError_t err) {
  return absl::InternalError(absl::StrCat("cuda tensor backend: ", what, ": ",
                                          cudaGetErrorString(err)));
}

#define STRATA_DENSE_CUDA_TRY(expr)               \
  do {                                            \
    const cudaError_t strata_cuda_err = (expr);   \
    if (strata_cuda_err != cudaSuccess) {         \
      cudaGetLastError(); /* not sticky: clear */ \
      return CudaError(#expr, strata_cuda_err);   \
    }                                             \
  } while (0)

// Blocks for a grid-stride kernel over `items`.
unsigned Blocks(int64_t items) {
  const int64_t b = (items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::clamp<int64_t>(b, 1, int64_t{1} << 20));
}

// Merges adjacent dims where every input's strides allow it and drops size-1
// dims, as the CPU backend does; rank >= 1 on return.
void Collapse(const Dims& shape, int n_in, const int64_t* const* in, int* rank,
              int64_t* dims, int64_t (*strides)[kMaxRank]) {
  int r = 0;
  for (int k = 0; k < shape.rank; ++k) {
    if (shape.d[k] == 1) continue;
    bool merge = r > 0;
    for (int t = 0; merge && t < n_in; ++t) {
      merge = strides[t][r - 1] == in[t][k] * shape.d[k];
    }
    if (merge) {
      dims[r - 1] *= shape.d[k];
      for (int t = 0; t < n_in; ++t) strides[t][r - 1] = in[t][k];
    } else {
      dims[r] = shape.d[k];
      for (int t = 0; t < n_in; ++t) strides[t][r] = in[t][k];
      ++r;
    }
  }
  if (r == 0) {
    dims[0] = 1;
    for (int t = 0; t < n_in; ++t) strides[t][0] = 0;
    r = 1;
  }
  *rank = r;
}

absl::Status CheckShape(const char* op, const Dims& shape) {
  if (shape.rank < 0 || shape.rank > kMaxRank) {
    return absl::InvalidArgumentError(absl::StrCat(
        op, ": rank ", shape.rank, " outside [0, ", kMaxRank, "]"));
  }
  for (int k = 0; k < shape.rank; ++k) {
    if (shape.d[k] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(op, ": negative dim"));
    }
  }
  return absl::OkStatus();
}

class CudaTensorBackend final : public TensorBackend {
 public:
  explicit CudaTensorBackend(int device) : device_(device) {}

  ~CudaTensorBackend() override {
    cudaSetDevice(device_);
    if (stream_ != nullptr) cudaStreamSynchronize(stream_);
    cublas_.reset();
    if (gather_error_ != nullptr) cudaFree(gather_error_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  absl::Status Init() {
    STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
    STRATA_DENSE_CUDA_TRY(
        cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    STRATA_DENSE_CUDA_TRY(cudaMalloc(&gather_error_, sizeof(GatherError)));
    STRATA_DENSE_CUDA_TRY(
        cudaMemsetAsync(gather_error_, 0, sizeof(GatherError), stream_));
    int pitch = 0;
    STRATA_DENSE_CUDA_TRY(
        cudaDeviceGetAttribute(&pitch, cudaDevAttrMaxPitch, device_));
    max_pitch_bytes_ = static_cast<size_t>(pitch);
    const char* gemm = std::getenv("STRATA_CUDA_GEMM");
    if (gemm == nullptr || std::string_view(gemm) != "builtin") {
      cublas_ = CublasGemm::Create(stream_);  // null: the built-in kernel
    }
    STRATA_DENSE_CUDA_TRY(cudaStreamSynchronize(stream_));
    return absl::OkStatus();
  }

  std::string_view name() const override { return "cuda"; }
  bool host_memory() const override { return false; }

  absl::StatusOr<void*> Alloc(size_t bytes) override {
    STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
    void* p = nullptr;
    // cudaMalloc aligns to 256 bytes; 0 bytes still gets a unique pointer.
    const cudaError_t err = cudaMalloc(&p, std::max<size_t>(bytes, 64));
    if (err != cudaSuccess) {
      cudaGetLastError();
      return absl::ResourceExhaustedError(
          absl::StrCat("cuda tensor backend: cannot allocate ", bytes,
                       " bytes: ", cudaGetErrorString(err)));
    }
    return p;
  }

  void Free(void* p) override {
    if (p == nullptr) return;
    cudaSetDevice(device_);
    // Enqueued work may still use p.
    cudaError_t err = cudaStreamSynchronize(stream_);
    if (err == cudaSuccess) err = cudaFree(p);
    if (err != cudaSuccess) Defer(CudaError("Free", err));
  }

  absl::Status CopyToDevice(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return absl::OkStatus();
    STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
    STRATA_DENSE_CUDA_TRY(
        cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
    // The caller may reuse src once this returns (pinned or not): wait.
    STRATA_DENSE_CUDA_TRY(cudaStreamSynchronize(stream_));
    return absl::OkStatus();
  }

  absl::Status CopyToHost(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return absl::OkStatus();
    STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
    STRATA_DENSE_CUDA_TRY(
        cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    // dst is complete when this returns, and any error so far is reported
    // (the copied data may come from a failed Gather).
    return Synchronize();
  }

  absl::Status Synchronize() override {
    absl::Status first = std::exchange(deferred_, absl::OkStatus());
    first.Update(Drain());
    return first;
  }

  absl::Status Gemm(const GemmArgs& g) override;
  absl::Status Elementwise(const ElementwiseArgs& a) override;
  absl::Status Softmax(int64_t outer, int64_t len, int64_t inner,
                       const float* x, float* y) override;
  absl::Status Reduce(ReduceOp op, int64_t outer, int64_t len, int64_t inner,
                      const float* x, float* y) override;
  absl::Status Gather(size_t elem_bytes, int64_t outer, int64_t axis_len,
                      int64_t inner, const void* x, const int64_t* idx,
                      int64_t n, void* y) override;
  absl::Status Cast(TensorType from, TensorType to, int64_t n, const void* x,
                    void* y) override;
  absl::Status Copy2D(void* dst, size_t dst_pitch_bytes, const void* src,
                      size_t src_pitch_bytes, size_t row_bytes,
                      int64_t rows) override;
  absl::Status StridedCopy(size_t elem_bytes, const Dims& shape,
                           const void* src, const int64_t* src_strides,
                           void* dst) override;

 private:
  // OK, or the error of `err` (the last launch's when it is cudaSuccess).
  static absl::Status Launched(const char* what,
                               cudaError_t err = cudaGetLastError()) {
    if (err == cudaSuccess) return absl::OkStatus();
    cudaGetLastError();  // a launch error is not sticky: clear it
    return CudaError(what, err);
  }
  void Defer(absl::Status s) { deferred_.Update(std::move(s)); }

  // Waits for the stream; INVALID_ARGUMENT (and the flag cleared) when a
  // Gather since the last Drain had an index out of range.
  absl::Status Drain() {
    STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
    STRATA_DENSE_CUDA_TRY(cudaMemcpyAsync(&gather_error_host_, gather_error_,
                                          sizeof(GatherError),
                                          cudaMemcpyDeviceToHost, stream_));
    STRATA_DENSE_CUDA_TRY(cudaStreamSynchronize(stream_));
    if (gather_error_host_.set == 0) return absl::OkStatus();
    STRATA_DENSE_CUDA_TRY(
        cudaMemsetAsync(gather_error_, 0, sizeof(GatherError), stream_));
    return absl::InvalidArgumentError(absl::StrCat(
        "Gather: index ", gather_error_host_.index, " outside [",
        -gather_error_host_.axis_len, ", ", gather_error_host_.axis_len, ")"));
  }

  // One product over p.batch matrices with C_b not shared.
  absl::Status GemmGroup(const GemmParams& p, const GemmArgs& g, int64_t b0);

  // Constant after construction.
  const int device_;
  cudaStream_t stream_ = nullptr;
  GatherError* gather_error_ = nullptr;  // device memory
  size_t max_pitch_bytes_ = 0;
  std::unique_ptr<CublasGemm> cublas_;  // null: the built-in SGEMM
  // Used by the calls (one thread at a time).
  GatherError gather_error_host_{};  // Drain's copy of *gather_error_
  absl::Status deferred_;            // the first error Free could not return
};

absl::Status CudaTensorBackend::GemmGroup(const GemmParams& p,
                                          const GemmArgs& g, int64_t b0) {
  GemmParams q = p;
  if (g.bias != nullptr) {
    GemmBiasKernel<<<Blocks(q.batch * q.m * q.n), kThreads, 0, stream_>>>(
        q, g.bias + b0 * g.bias_stride_batch, g.bias_stride_batch,
        g.bias_stride_m, g.bias_stride_n);
    if (absl::Status s = Launched("Gemm bias"); !s.ok()) return s;
    q.beta = 1.0f;
  }
  if (q.k == 0) {  // op(A) op(B) is zero: C = beta * (bias or C)
    if (g.bias != nullptr) return absl::OkStatus();
    GemmScaleKernel<<<Blocks(q.batch * q.m * q.n), kThreads, 0, stream_>>>(q);
    return Launched("Gemm scale");
  }
  if (cublas_ != nullptr && cublas_->Fits(q)) {
    return cublas_->Run(q);
  }
  const int64_t tiles =
      q.batch * ((q.m + kTileM - 1) / kTileM) * ((q.n + kTileN - 1) / kTileN);
  const unsigned blocks =
      static_cast<unsigned>(std::min<int64_t>(tiles, int64_t{1} << 20));
  SgemmKernel<<<blocks, kThreads, 0, stream_>>>(q);
  return Launched("Gemm");
}

absl::Status CudaTensorBackend::Gemm(const GemmArgs& g) {
  if (g.batch < 0 || g.m < 0 || g.n < 0 || g.k < 0) {
    return absl::InvalidArgumentError("Gemm: negative size");
  }
  if (g.batch == 0 || g.m == 0 || g.n == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  GemmParams p;
  p.batch = g.batch, p.m = g.m, p.n = g.n, p.k = g.k;
  p.trans_a = g.trans_a, p.trans_b = g.trans_b;
  p.alpha = g.alpha, p.beta = g.beta;
  p.a = g.a, p.lda = g.lda, p.stride_a = g.stride_a;
  p.b = g.b, p.ldb = g.ldb, p.stride_b = g.stride_b;
  p.c = g.c, p.ldc = g.ldc, p.stride_c = g.stride_c;
  if (g.stride_c == 0 && g.batch > 1) {
    // Every b writes the same C: one after another, as the CPU backend does.
    for (int64_t b = 0; b < g.batch; ++b) {
      GemmParams one = p;
      one.batch = 1;
      one.a += b * g.stride_a;
      one.b += b * g.stride_b;
      if (absl::Status s = GemmGroup(one, g, b); !s.ok()) return s;
    }
  } else if (absl::Status s = GemmGroup(p, g, 0); !s.ok()) {
    return s;
  }
  if (g.epilogue.empty()) return absl::OkStatus();
  if (g.epilogue_shape.NumElements() != g.batch * g.m * g.n) {
    return absl::InvalidArgumentError(
        "Gemm: epilogue_shape does not hold batch * m * n elements");
  }
  ElementwiseArgs e;
  e.shape = g.epilogue_shape;
  e.base.data = g.c;
  int64_t s = 1;
  for (int k = e.shape.rank - 1; k >= 0; --k) {
    e.base.strides[k] = s;
    s *= e.shape.d[k];
  }
  e.operands = g.epilogue_operands;
  e.steps = g.epilogue;
  e.out = g.c;
  return Elementwise(e);
}

absl::Status CudaTensorBackend::Elementwise(const ElementwiseArgs& a) {
  if (absl::Status s = CheckShape("Elementwise", a.shape); !s.ok()) return s;
  if (a.type != TensorType::kFloat32 && a.type != TensorType::kInt64) {
    return absl::InvalidArgumentError("Elementwise: unknown tensor type");
  }
  if (a.operands.size() > static_cast<size_t>(kMaxOperands)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Elementwise: ", a.operands.size(), " operands (at most ",
                     kMaxOperands, ")"));
  }
  for (const ElementwiseStep& st : a.steps) {
    if (IsBinary(st.op) && st.operand >= static_cast<int>(a.operands.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Elementwise: step operand ", st.operand, " of ", a.operands.size()));
    }
  }
  const int64_t n = a.shape.NumElements();
  if (n == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));

  EwParams p;
  p.n = n;
  p.n_inputs = 1 + static_cast<int>(a.operands.size());
  const int64_t* in[kMaxInputs];
  in[0] = a.base.strides;
  p.in[0] = a.base.data;
  for (size_t t = 0; t < a.operands.size(); ++t) {
    in[t + 1] = a.operands[t].strides;
    p.in[t + 1] = a.operands[t].data;
  }
  Collapse(a.shape, p.n_inputs, in, &p.rank, p.dims, p.strides);
  p.out = a.out;
  // Programs longer than kMaxSteps run in passes; later passes read out.
  size_t done = 0;
  do {
    p.n_steps = static_cast<int>(std::min<size_t>(
        a.steps.size() - done, static_cast<size_t>(kMaxSteps)));
    for (int s = 0; s < p.n_steps; ++s) {
      const ElementwiseStep& st = a.steps[done + s];
      // Any negative operand means the scalar, as on the CPU.
      const bool scalar = !IsBinary(st.op) || st.operand < 0;
      p.steps[s] = EwStep{st.op, static_cast<int8_t>(scalar ? -1 : st.operand),
                          st.reversed, st.scalar};
    }
    if (a.type == TensorType::kFloat32) {
      ElementwiseKernel<float><<<Blocks(n), kThreads, 0, stream_>>>(p);
    } else {
      ElementwiseKernel<int64_t><<<Blocks(n), kThreads, 0, stream_>>>(p);
    }
    if (absl::Status s = Launched("Elementwise"); !s.ok()) return s;
    done += p.n_steps;
    p.in[0] = a.out;  // contiguous over the collapsed dims
    int64_t stride = 1;
    for (int k = p.rank - 1; k >= 0; --k) {
      p.strides[0][k] = stride;
      stride *= p.dims[k];
    }
  } while (done < a.steps.size());
  return absl::OkStatus();
}

absl::Status CudaTensorBackend::Softmax(int64_t outer, int64_t len,
                                        int64_t inner, const float* x,
                                        float* y) {
  if (outer < 0 || len < 0 || inner < 0) {
    return absl::InvalidArgumentError("Softmax: negative size");
  }
  if (outer == 0 || len == 0 || inner == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  if (inner == 1) {
    SoftmaxRowsKernel<<<Blocks(outer * kThreads), kThreads, 0, stream_>>>(
        outer, len, x, y);
  } else {
    SoftmaxColumnsKernel<<<Blocks(outer * inner), kThreads, 0, stream_>>>(
        outer, len, inner, x, y);
  }
  return Launched("Softmax");
}

absl::Status CudaTensorBackend::Reduce(ReduceOp op, int64_t outer, int64_t len,
                                       int64_t inner, const float* x,
                                       float* y) {
  if (outer < 0 || len < 0 || inner < 0) {
    return absl::InvalidArgumentError("Reduce: negative size");
  }
  if (op != ReduceOp::kSum && op != ReduceOp::kMean && op != ReduceOp::kMax) {
    return absl::InvalidArgumentError("Reduce: unknown op");
  }
  if (outer == 0 || inner == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  if (inner == 1) {
    ReduceRowsKernel<<<Blocks(outer * kThreads), kThreads, 0, stream_>>>(
        op, outer, len, x, y);
  } else {
    ReduceColumnsKernel<<<Blocks(outer * inner), kThreads, 0, stream_>>>(
        op, outer, len, inner, x, y);
  }
  return Launched("Reduce");
}

absl::Status CudaTensorBackend::Gather(size_t elem_bytes, int64_t outer,
                                       int64_t axis_len, int64_t inner,
                                       const void* x, const int64_t* idx,
                                       int64_t n, void* y) {
  if (elem_bytes != 4 && elem_bytes != 8) {
    return absl::InvalidArgumentError("Gather: element size not 4 or 8");
  }
  if (outer < 0 || axis_len < 0 || inner < 0 || n < 0) {
    return absl::InvalidArgumentError("Gather: negative size");
  }
  if (n == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  GatherCheckKernel<<<Blocks(n), kThreads, 0, stream_>>>(idx, n, axis_len,
                                                         gather_error_);
  if (absl::Status s = Launched("Gather"); !s.ok()) return s;
  const int64_t total = outer * n * inner;
  if (total == 0) return absl::OkStatus();
  if (elem_bytes == 4) {
    GatherKernel<uint32_t><<<Blocks(total), kThreads, 0, stream_>>>(
        outer, axis_len, inner, static_cast<const uint32_t*>(x), idx, n,
        static_cast<uint32_t*>(y));
  } else {
    GatherKernel<uint64_t><<<Blocks(total), kThreads, 0, stream_>>>(
        outer, axis_len, inner, static_cast<const uint64_t*>(x), idx, n,
        static_cast<uint64_t*>(y));
  }
  return Launched("Gather");
}

absl::Status CudaTensorBackend::Cast(TensorType from, TensorType to, int64_t n,
                                     const void* x, void* y) {
  const auto known = [](TensorType t) {
    return t == TensorType::kFloat32 || t == TensorType::kInt64;
  };
  if (!known(from) || !known(to)) {
    return absl::InvalidArgumentError("Cast: unknown tensor type");
  }
  if (n < 0) return absl::InvalidArgumentError("Cast: negative size");
  if (n == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  if (from == to) {
    if (x == y) return absl::OkStatus();
    const size_t bytes = n * (from == TensorType::kInt64 ? 8 : 4);
    STRATA_DENSE_CUDA_TRY(
        cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, stream_));
    return absl::OkStatus();
  }
  if (from == TensorType::kFloat32) {
    CastKernel<float, int64_t><<<Blocks(n), kThreads, 0, stream_>>>(
        n, static_cast<const float*>(x), static_cast<int64_t*>(y));
  } else {
    CastKernel<int64_t, float><<<Blocks(n), kThreads, 0, stream_>>>(
        n, static_cast<const int64_t*>(x), static_cast<float*>(y));
  }
  return Launched("Cast");
}

absl::Status CudaTensorBackend::Copy2D(void* dst, size_t dst_pitch_bytes,
                                       const void* src, size_t src_pitch_bytes,
                                       size_t row_bytes, int64_t rows) {
  if (rows < 0) return absl::InvalidArgumentError("Copy2D: negative rows");
  if (rows == 0 || row_bytes == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  if (rows == 1) {
    STRATA_DENSE_CUDA_TRY(cudaMemcpyAsync(dst, src, row_bytes,
                                          cudaMemcpyDeviceToDevice, stream_));
    return absl::OkStatus();
  }
  if (dst_pitch_bytes >= row_bytes && src_pitch_bytes >= row_bytes &&
      dst_pitch_bytes <= max_pitch_bytes_ &&
      src_pitch_bytes <= max_pitch_bytes_) {
    STRATA_DENSE_CUDA_TRY(cudaMemcpy2DAsync(
        dst, dst_pitch_bytes, src, src_pitch_bytes, row_bytes,
        static_cast<size_t>(rows), cudaMemcpyDeviceToDevice, stream_));
    return absl::OkStatus();
  }
  const int64_t row = static_cast<int64_t>(row_bytes);
  Copy2DKernel<<<Blocks(rows * row), kThreads, 0, stream_>>>(
      static_cast<char*>(dst), dst_pitch_bytes, static_cast<const char*>(src),
      src_pitch_bytes, row, rows);
  return Launched("Copy2D");
}

absl::Status CudaTensorBackend::StridedCopy(size_t elem_bytes,
                                            const Dims& shape, const void* src,
                                            const int64_t* src_strides,
                                            void* dst) {
  if (elem_bytes != 4 && elem_bytes != 8) {
    return absl::InvalidArgumentError("StridedCopy: element size not 4 or 8");
  }
  if (absl::Status s = CheckShape("StridedCopy", shape); !s.ok()) return s;
  StridedParams p;
  p.n = shape.NumElements();
  if (p.n == 0) return absl::OkStatus();
  STRATA_DENSE_CUDA_TRY(cudaSetDevice(device_));
  const int64_t* in[1] = {src_strides};
  int64_t strides[1][kMaxRank] = {};
  Collapse(shape, 1, in, &p.rank, p.dims, strides);
  std::memcpy(p.strides, strides[0], sizeof(p.strides));
  if (elem_bytes == 4) {
    StridedCopyKernel<uint32_t><<<Blocks(p.n), kThreads, 0, stream_>>>(
        p, static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst));
  } else {
    StridedCopyKernel<uint64_t><<<Blocks(p.n), kThreads, 0, stream_>>>(
        p, static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst));
  }
  return Launched("StridedCopy");
}

}  // namespace

absl::StatusOr<std::unique_ptr<TensorBackend>> NewCudaTensorBackend(
    int device) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return absl::FailedPreconditionError(absl::StrCat(
        "cuda tensor backend: no CUDA device: ", cudaGetErrorString(err)));
  }
  if (device < 0 || device >= count) {
    return absl::FailedPreconditionError(
        absl::StrCat("cuda tensor backend: no CUDA device ", device,
                     " (this process sees ", count, ")"));
  }
  auto backend = std::make_unique<CudaTensorBackend>(device);
  if (absl::Status s = backend->Init(); !s.ok()) return s;
  return std::unique_ptr<TensorBackend>(std::move(backend));
}

}  // namespace strata
