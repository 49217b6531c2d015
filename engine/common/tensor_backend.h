// TensorBackend: the tensor operations the dense executor (engine/model/dense)
// needs, on one
// device (the CPU through OpenBLAS, or later a GPU through cuBLAS and small
// kernels). The executor plans everything on the host (shapes, strides,
// buffer offsets) and hands each operation plain host-side arguments plus
// data pointers; it never dereferences the data of a runtime tensor itself.
//
// Conventions shared by every operation:
//  - Tensors are dense and row-major unless an operation takes strides.
//    Strides and offsets are in elements, never bytes, unless named *_bytes.
//  - Data pointers come from Alloc (device memory; on the CPU backend that is
//    host memory). Everything else in an argument struct (shapes, strides,
//    steps, scalars) is host memory, read during the call only: an
//    implementation may not keep pointers to it after the call returns.
//  - Ranks are at most kMaxRank; the executor collapses or refuses more.
//  - Calls are ordered: an operation sees the results of every earlier call
//    on the same backend (a CUDA backend enqueues on its one stream). A
//    returned error may be reported by a later call or by Synchronize
//    (asynchronous backends); the CPU backend reports it at once.
//  - float32 everywhere for arithmetic; int64 appears in Gather indices, in
//    Cast, in the type-agnostic copies (element size in bytes), and in the
//    element-wise program (integer shape arithmetic: Add/Sub/Mul/Div only).
//
// Ownership: memory from Alloc belongs to the caller until Free; the backend
// itself owns only its internal resources (a stream, a BLAS handle).
// Thread safety: one backend instance is used by one thread at a time (each
// DenseSession owns its own); distinct instances may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/tensor_type.h"

namespace strata {

inline constexpr int kMaxRank = 8;

// A shape of rank <= kMaxRank, passed by value (cheap to copy into a kernel
// launch's parameters).
struct Dims {
  int rank = 0;
  int64_t d[kMaxRank] = {};

  int64_t NumElements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= d[i];
    return n;
  }
};

// ---- Element-wise programs ----------------------------------------------
//
// An element-wise program computes, for every index i of the output shape:
//   acc = base[i]
//   for step in steps: acc = step(acc)       (unary)
//                      acc = acc OP x[i]     (binary, operand x)
//                      acc = x[i] OP acc     (binary, reversed)
//   out[i] = acc
// Each input (base and every operand) is read through its own strides over
// the output's dims (numpy broadcasting: stride 0 on a broadcast axis), so a
// chain like Mul -> Add -> Sigmoid is one pass over the data.

enum class ElementwiseOp : uint8_t {
  // Binary (operand or scalar).
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,  // std::pow(acc, x)
  kMax,
  kMin,
  // Unary (operand unused).
  kRelu,
  kSigmoid,  // 1 / (1 + std::exp(-x)), no fast approximation
  kTanh,     // std::tanh
  kExp,
  kLog,
  kSqrt,
  kNeg,
  kAbs,
  kReciprocal,
};

inline constexpr bool IsBinary(ElementwiseOp op) {
  return op <= ElementwiseOp::kMin;
}

struct ElementwiseStep {
  ElementwiseOp op = ElementwiseOp::kAdd;
  // Binary ops: index into ElementwiseArgs::operands, or -1 to use `scalar`.
  int operand = -1;
  // Binary ops: x OP acc instead of acc OP x (e.g. 1 - acc, 2 / acc).
  bool reversed = false;
  // Binary ops with operand == -1: the right-hand value (float programs; an
  // int64 program uses it after a cast to int64).
  float scalar = 0.0f;
};

// An input of an element-wise program: data plus strides over the output's
// dims (same rank as the output; 0 where broadcast).
struct StridedInput {
  const void* data = nullptr;
  int64_t strides[kMaxRank] = {};
};

struct ElementwiseArgs {
  TensorType type = TensorType::kFloat32;  // of base, operands and out
  Dims shape;                              // of out, which is contiguous
  StridedInput base;
  absl::Span<const StridedInput> operands;
  absl::Span<const ElementwiseStep> steps;
  // May equal base.data when base is contiguous over `shape` (in place).
  void* out = nullptr;
};

// ---- Matrix products ------------------------------------------------------
//
// For b in [0, batch):
//   C_b = alpha * op(A_b) * op(B_b) + beta * Bias_b      (bias given)
//   C_b = alpha * op(A_b) * op(B_b) + beta * C_b         (no bias)
//   then C_b = epilogue(C_b) when an epilogue is given.
// op(X) is X or X^T; op(A_b) is (m, k), op(B_b) is (k, n), C_b is (m, n).
// X_b starts at x + b * stride_x (stride 0: the same matrix for every b).
struct GemmArgs {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
  const float* a = nullptr;  // leading dimension lda (row-major)
  int64_t lda = 0, stride_a = 0;
  const float* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  float* c = nullptr;  // (batch, m, n) with leading dimension ldc
  int64_t ldc = 0, stride_c = 0;
  // Optional addend, read as bias[b*bias_stride_batch + i*bias_stride_m +
  // j*bias_stride_n] (strides 0 broadcast: a (n) bias has stride_m 0).
  const float* bias = nullptr;
  int64_t bias_stride_batch = 0, bias_stride_m = 0, bias_stride_n = 0;
  // Optional element-wise epilogue run over C in place. Its `base` and `out`
  // are C; `epilogue_shape` is C's logical shape (its element count is
  // batch*m*n, C contiguous), and operand strides are over that shape.
  absl::Span<const ElementwiseStep> epilogue;
  absl::Span<const StridedInput> epilogue_operands;
  Dims epilogue_shape;
};

// ---- Reductions and the rest ------------------------------------------

enum class ReduceOp : uint8_t { kSum, kMean, kMax };

class TensorBackend {
 public:
  virtual ~TensorBackend() = default;

  virtual std::string_view name() const = 0;
  // True when data pointers are host memory (the executor then reads
  // constants and outputs in place instead of copying them).
  virtual bool host_memory() const = 0;

  // -- Memory -------------------------------------------------------------
  // At least 64-byte aligned; bytes == 0 returns a valid unique pointer.
  [[nodiscard]] virtual absl::StatusOr<void*> Alloc(size_t bytes) = 0;
  virtual void Free(void* p) = 0;
  [[nodiscard]] virtual absl::Status CopyToDevice(void* dst, const void* src,
                                                  size_t bytes) = 0;
  [[nodiscard]] virtual absl::Status CopyToHost(void* dst, const void* src,
                                                size_t bytes) = 0;
  // Waits for every enqueued operation; reports the first error since the
  // last Synchronize.
  [[nodiscard]] virtual absl::Status Synchronize() = 0;

  // -- Compute ------------------------------------------------------------
  [[nodiscard]] virtual absl::Status Gemm(const GemmArgs& args) = 0;
  [[nodiscard]] virtual absl::Status Elementwise(
      const ElementwiseArgs& args) = 0;

  // x, y: (outer, len, inner) float32; softmax along `len`
  // (max-subtracted, y = exp(x - max) / sum). y may equal x.
  [[nodiscard]] virtual absl::Status Softmax(int64_t outer, int64_t len,
                                             int64_t inner, const float* x,
                                             float* y) = 0;

  // x: (outer, len, inner) -> y: (outer, inner) float32, reducing `len`
  // (kMean divides the float sum by len; len 0 gives 0 for kSum).
  [[nodiscard]] virtual absl::Status Reduce(ReduceOp op, int64_t outer,
                                            int64_t len, int64_t inner,
                                            const float* x, float* y) = 0;

  // y[o, j, i] = x[o, idx[j], i] with x (outer, axis_len, inner), y (outer,
  // n, inner); elements of `elem_bytes` (4 or 8); a negative index counts
  // from the end. An index outside [-axis_len, axis_len) is INVALID_ARGUMENT.
  [[nodiscard]] virtual absl::Status Gather(size_t elem_bytes, int64_t outer,
                                            int64_t axis_len, int64_t inner,
                                            const void* x, const int64_t* idx,
                                            int64_t n, void* y) = 0;

  // n elements from `from` to `to` (float32 <-> int64; float -> int64
  // truncates toward zero as ONNX Cast does). Same type copies.
  [[nodiscard]] virtual absl::Status Cast(TensorType from, TensorType to,
                                          int64_t n, const void* x,
                                          void* y) = 0;

  // rows x row_bytes from src (row pitch src_pitch_bytes) to dst (row pitch
  // dst_pitch_bytes): Concat along an axis writes each input this way.
  [[nodiscard]] virtual absl::Status Copy2D(void* dst, size_t dst_pitch_bytes,
                                            const void* src,
                                            size_t src_pitch_bytes,
                                            size_t row_bytes, int64_t rows) = 0;

  // dst (contiguous over `shape`) [i] = src[sum_k i_k * src_strides[k]]:
  // transpose (permuted strides), expand (stride 0), slice (offset `src`,
  // strides scaled by the step, possibly negative). Elements of elem_bytes.
  [[nodiscard]] virtual absl::Status StridedCopy(size_t elem_bytes,
                                                 const Dims& shape,
                                                 const void* src,
                                                 const int64_t* src_strides,
                                                 void* dst) = 0;

  // Convenience over StridedCopy: y = transpose(x, perm) for a contiguous x
  // of shape `in`; y has shape in[perm[k]].
  [[nodiscard]] absl::Status Transpose(size_t elem_bytes, const Dims& in,
                                       absl::Span<const int> perm,
                                       const void* x, void* y) {
    int64_t in_strides[kMaxRank];
    int64_t s = 1;
    for (int k = in.rank - 1; k >= 0; --k) {
      in_strides[k] = s;
      s *= in.d[k];
    }
    Dims out;
    out.rank = in.rank;
    int64_t strides[kMaxRank] = {};
    for (int k = 0; k < in.rank; ++k) {
      out.d[k] = in.d[perm[k]];
      strides[k] = in_strides[perm[k]];
    }
    return StridedCopy(elem_bytes, out, x, strides, y);
  }
};

}  // namespace strata
