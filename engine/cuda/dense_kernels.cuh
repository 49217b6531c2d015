// Device kernels of the cuda TensorBackend (cuda_tensor_backend.cu): the
// element-wise program interpreter, softmax, reductions, gather, casts,
// strided copies and a built-in SGEMM. Each kernel mirrors the loop of the
// CPU backend (engine/model/dense/cpu_backend.cc) it replaces, with the same
// float operations (expf, tanhf, powf, IEEE division; max/min written as
// the same comparisons), so results agree to rounding.
//
// Shapes and strides reach a kernel by value in its launch parameters (the
// *Params structs of fixed-size arrays): nothing host-side outlives the call
// that enqueued it. Indices are int64; kernels loop grid-stride, so any grid
// size is correct.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "engine/common/tensor_backend.h"

namespace strata {
namespace dense_cuda {

constexpr int kThreads = 256;    // per block, every kernel
constexpr int kMaxOperands = 8;  // operands of one element-wise pass
constexpr int kMaxSteps = 32;    // steps of one pass (longer programs split)
constexpr int kMaxInputs = kMaxOperands + 1;  // base + operands

__device__ __forceinline__ int64_t GlobalThread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t GridThreads() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

// ---- Element-wise programs ---------------------------------------------

struct EwStep {
  ElementwiseOp op;
  int8_t operand;  // index into EwParams::in minus one; -1: scalar
  bool reversed;
  float scalar;
};

// One pass over a collapsed shape. Input t (0 = base) element of the output
// index with multi-index (i_0..i_{rank-1}) is in[t][sum_k i_k strides[t][k]].
struct EwParams {
  int64_t n = 0;  // elements of out (contiguous)
  int rank = 0;
  int n_inputs = 0;
  int n_steps = 0;
  int64_t dims[kMaxRank] = {};
  const void* in[kMaxInputs] = {};
  int64_t strides[kMaxInputs][kMaxRank] = {};
  EwStep steps[kMaxSteps] = {};
  void* out = nullptr;
};

__device__ __forceinline__ bool EwIsBinary(ElementwiseOp op) {
  return static_cast<uint8_t>(op) <= static_cast<uint8_t>(ElementwiseOp::kMin);
}

__device__ __forceinline__ float EwBinary(ElementwiseOp op, float a, float b) {
  switch (op) {
    case ElementwiseOp::kAdd:
      return a + b;
    case ElementwiseOp::kSub:
      return a - b;
    case ElementwiseOp::kMul:
      return a * b;
    case ElementwiseOp::kDiv:
      return a / b;
    case ElementwiseOp::kPow:
      return powf(a, b);
    case ElementwiseOp::kMax:
      return a > b ? a : b;
    case ElementwiseOp::kMin:
      return a < b ? a : b;
    default:
      return a;
  }
}

__device__ __forceinline__ int64_t EwBinary(ElementwiseOp op, int64_t a,
                                            int64_t b) {
  switch (op) {
    case ElementwiseOp::kAdd:
      return a + b;
    case ElementwiseOp::kSub:
      return a - b;
    case ElementwiseOp::kMul:
      return a * b;
    case ElementwiseOp::kDiv:
      return b == 0 ? 0 : a / b;
    case ElementwiseOp::kPow:  // std::pow(int64, int64) is the double pow
      return static_cast<int64_t>(
          pow(static_cast<double>(a), static_cast<double>(b)));
    case ElementwiseOp::kMax:
      return a > b ? a : b;
    case ElementwiseOp::kMin:
      return a < b ? a : b;
    default:
      return a;
  }
}

__device__ __forceinline__ float EwUnary(ElementwiseOp op, float x) {
  switch (op) {
    case ElementwiseOp::kRelu:
      return x > 0.0f ? x : 0.0f;
    case ElementwiseOp::kSigmoid:
      return 1.0f / (1.0f + expf(-x));
    case ElementwiseOp::kTanh:
      return tanhf(x);
    case ElementwiseOp::kExp:
      return expf(x);
    case ElementwiseOp::kLog:
      return logf(x);
    case ElementwiseOp::kSqrt:
      return sqrtf(x);
    case ElementwiseOp::kNeg:
      return -x;
    case ElementwiseOp::kAbs:
      return fabsf(x);
    case ElementwiseOp::kReciprocal:
      return 1.0f / x;
    default:
      return x;
  }
}

// Integer programs have no unary steps (the CPU backend skips them too).
__device__ __forceinline__ int64_t EwUnary(ElementwiseOp, int64_t x) {
  return x;
}

template <typename T>
__global__ void ElementwiseKernel(EwParams p) {
  for (int64_t i = GlobalThread(); i < p.n; i += GridThreads()) {
    int64_t off[kMaxInputs];
    for (int t = 0; t < p.n_inputs; ++t) off[t] = 0;
    int64_t rem = i;
    for (int k = p.rank - 1; k >= 0; --k) {
      const int64_t q = rem / p.dims[k];
      const int64_t ik = rem - q * p.dims[k];
      rem = q;
      for (int t = 0; t < p.n_inputs; ++t) off[t] += ik * p.strides[t][k];
    }
    T acc = static_cast<const T*>(p.in[0])[off[0]];
    for (int s = 0; s < p.n_steps; ++s) {
      const EwStep st = p.steps[s];
      if (EwIsBinary(st.op)) {
        const int t = st.operand + 1;
        const T x = t == 0 ? static_cast<T>(st.scalar)
                           : static_cast<const T*>(p.in[t])[off[t]];
        acc = st.reversed ? EwBinary(st.op, x, acc) : EwBinary(st.op, acc, x);
      } else {
        acc = EwUnary(st.op, acc);
      }
    }
    static_cast<T*>(p.out)[i] = acc;
  }
}

// ---- Softmax and reductions over (outer, len, inner) ---------------------

// The block-wide max (kMax) or sum of v, returned to every thread. Uses
// shared[0..32]; safe to call repeatedly with the same buffer.
template <bool kMax>
__device__ float BlockReduce(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) {
    const float w = __shfl_xor_sync(0xffffffffu, v, o);
    v = kMax ? (v < w ? w : v) : v + w;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // the previous call's readers are done
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const float identity = kMax ? -INFINITY : 0.0f;
    v = lane < static_cast<int>(blockDim.x >> 5) ? shared[lane] : identity;
    for (int o = 16; o > 0; o >>= 1) {
      const float w = __shfl_xor_sync(0xffffffffu, v, o);
      v = kMax ? (v < w ? w : v) : v + w;
    }
    if (lane == 0) shared[32] = v;
  }
  __syncthreads();
  return shared[32];
}

// inner == 1: one block per row of `len` contiguous values. y may equal x.
__global__ void SoftmaxRowsKernel(int64_t outer, int64_t len, const float* x,
                                  float* y) {
  __shared__ float shared[33];
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* xs = x + o * len;
    float* ys = y + o * len;
    float mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      mx = mx < xs[j] ? xs[j] : mx;
    }
    mx = BlockReduce<true>(mx, shared);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      sum += expf(xs[j] - mx);
    }
    sum = BlockReduce<false>(sum, shared);
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      ys[j] = expf(xs[j] - mx) / sum;
    }
  }
}

// inner > 1: one thread per (outer, inner) column (coalesced over inner).
__global__ void SoftmaxColumnsKernel(int64_t outer, int64_t len, int64_t inner,
                                     const float* x, float* y) {
  for (int64_t c = GlobalThread(); c < outer * inner; c += GridThreads()) {
    const int64_t base = (c / inner) * len * inner + c % inner;
    const float* xs = x + base;
    float* ys = y + base;
    float mx = -INFINITY;
    for (int64_t j = 0; j < len; ++j) {
      mx = mx < xs[j * inner] ? xs[j * inner] : mx;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < len; ++j) sum += expf(xs[j * inner] - mx);
    for (int64_t j = 0; j < len; ++j) {
      ys[j * inner] = expf(xs[j * inner] - mx) / sum;
    }
  }
}

__device__ __forceinline__ float ReduceFinish(ReduceOp op, float acc,
                                              int64_t len) {
  return op == ReduceOp::kMean && len > 0 ? acc / static_cast<float>(len) : acc;
}

// inner == 1: one block per output value.
__global__ void ReduceRowsKernel(ReduceOp op, int64_t outer, int64_t len,
                                 const float* x, float* y) {
  __shared__ float shared[33];
  const bool is_max = op == ReduceOp::kMax;
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* xs = x + o * len;
    float acc = is_max ? -INFINITY : 0.0f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      acc = is_max ? (acc < xs[j] ? xs[j] : acc) : acc + xs[j];
    }
    acc = is_max ? BlockReduce<true>(acc, shared)
                 : BlockReduce<false>(acc, shared);
    if (threadIdx.x == 0) y[o] = ReduceFinish(op, acc, len);
  }
}

// inner > 1: one thread per output value (coalesced over inner).
__global__ void ReduceColumnsKernel(ReduceOp op, int64_t outer, int64_t len,
                                    int64_t inner, const float* x, float* y) {
  const bool is_max = op == ReduceOp::kMax;
  for (int64_t c = GlobalThread(); c < outer * inner; c += GridThreads()) {
    const float* xs = x + (c / inner) * len * inner + c % inner;
    float acc = is_max ? -INFINITY : 0.0f;
    for (int64_t j = 0; j < len; ++j) {
      const float v = xs[j * inner];
      acc = is_max ? (acc < v ? v : acc) : acc + v;
    }
    y[c] = ReduceFinish(op, acc, len);
  }
}

// ---- Gather, casts, copies ----------------------------------------------

// The first out-of-range Gather index since the last reset (device memory;
// read and cleared by Synchronize).
struct GatherError {
  unsigned int set;
  unsigned int pad;
  long long index;
  long long axis_len;
};

__global__ void GatherCheckKernel(const int64_t* idx, int64_t n,
                                  int64_t axis_len, GatherError* err) {
  for (int64_t j = GlobalThread(); j < n; j += GridThreads()) {
    const int64_t v = idx[j];
    if ((v < -axis_len || v >= axis_len) &&
        atomicCAS(&err->set, 0u, 1u) == 0u) {
      err->index = v;
      err->axis_len = axis_len;
    }
  }
}

// y (outer, n, inner) from x (outer, axis_len, inner); a bad index (reported
// by GatherCheckKernel) writes zeros.
template <typename T>
__global__ void GatherKernel(int64_t outer, int64_t axis_len, int64_t inner,
                             const T* x, const int64_t* idx, int64_t n, T* y) {
  for (int64_t e = GlobalThread(); e < outer * n * inner; e += GridThreads()) {
    const int64_t i = e % inner;
    const int64_t r = e / inner;
    const int64_t o = r / n;
    int64_t k = idx[r % n];
    if (k < 0) k += axis_len;
    y[e] = k >= 0 && k < axis_len ? x[(o * axis_len + k) * inner + i] : T(0);
  }
}

template <typename From, typename To>
__global__ void CastKernel(int64_t n, const From* x, To* y) {
  for (int64_t i = GlobalThread(); i < n; i += GridThreads()) {
    y[i] = static_cast<To>(x[i]);  // float -> int64 truncates toward zero
  }
}

struct StridedParams {
  int64_t n = 0;
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
};

template <typename T>
__global__ void StridedCopyKernel(StridedParams p, const T* src, T* dst) {
  for (int64_t i = GlobalThread(); i < p.n; i += GridThreads()) {
    int64_t rem = i, off = 0;
    for (int k = p.rank - 1; k >= 0; --k) {
      const int64_t q = rem / p.dims[k];
      off += (rem - q * p.dims[k]) * p.strides[k];
      rem = q;
    }
    dst[i] = src[off];
  }
}

// Copy2D where cudaMemcpy2DAsync refuses the pitches (smaller than a row, or
// beyond the device's maximum): byte by byte, rows in any order.
__global__ void Copy2DKernel(char* dst, size_t dst_pitch, const char* src,
                             size_t src_pitch, int64_t row_bytes,
                             int64_t rows) {
  for (int64_t e = GlobalThread(); e < rows * row_bytes; e += GridThreads()) {
    const int64_t r = e / row_bytes, c = e % row_bytes;
    dst[r * static_cast<int64_t>(dst_pitch) + c] =
        src[r * static_cast<int64_t>(src_pitch) + c];
  }
}

}  // namespace dense_cuda
}  // namespace strata
