#include "engine/model/dense/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

// Merges adjacent dims where every input's strides allow it (a contiguous
// input keeps contiguous; a broadcast one keeps stride 0), so rows are long.
struct Collapsed {
  Dims shape;
  int64_t strides[kMaxRank + 1][kMaxRank];  // [input][dim]
};

void Collapse(const Dims& shape, absl::Span<const int64_t* const> in,
              Collapsed* c) {
  const int n_in = static_cast<int>(in.size());
  c->shape.rank = 0;
  for (int k = 0; k < shape.rank; ++k) {
    if (shape.d[k] == 1) continue;  // size-1 dims carry no stride
    const int r = c->shape.rank;
    bool merge = r > 0;
    for (int t = 0; merge && t < n_in; ++t) {
      merge = c->strides[t][r - 1] == in[t][k] * shape.d[k];
    }
    if (merge) {
      c->shape.d[r - 1] *= shape.d[k];
      for (int t = 0; t < n_in; ++t) c->strides[t][r - 1] = in[t][k];
    } else {
      c->shape.d[r] = shape.d[k];
      for (int t = 0; t < n_in; ++t) c->strides[t][r] = in[t][k];
      ++c->shape.rank;
    }
  }
  if (c->shape.rank == 0) {
    c->shape.rank = 1;
    c->shape.d[0] = 1;
    for (int t = 0; t < n_in; ++t) c->strides[t][0] = 0;
  }
}

template <typename T>
inline T ApplyBinary(ElementwiseOp op, T a, T b) {
  switch (op) {
    case ElementwiseOp::kAdd:
      return a + b;
    case ElementwiseOp::kSub:
      return a - b;
    case ElementwiseOp::kMul:
      return a * b;
    case ElementwiseOp::kDiv:
      if constexpr (std::is_integral_v<T>) {
        return b == 0 ? 0 : a / b;
      } else {
        return a / b;
      }
    case ElementwiseOp::kPow:
      return static_cast<T>(std::pow(a, b));
    case ElementwiseOp::kMax:
      return a > b ? a : b;
    case ElementwiseOp::kMin:
      return a < b ? a : b;
    default:
      return a;
  }
}

// One binary step over a row: acc[j] = acc[j] OP x[j * s] (or reversed).
template <typename T, ElementwiseOp kOp>
void BinaryRow(T* acc, const T* x, int64_t s, int64_t n, bool reversed) {
  if (s == 1) {
    if (reversed) {
      for (int64_t j = 0; j < n; ++j) acc[j] = ApplyBinary(kOp, x[j], acc[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) acc[j] = ApplyBinary(kOp, acc[j], x[j]);
    }
  } else if (s == 0) {
    const T v = *x;
    if (reversed) {
      for (int64_t j = 0; j < n; ++j) acc[j] = ApplyBinary(kOp, v, acc[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) acc[j] = ApplyBinary(kOp, acc[j], v);
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      acc[j] = reversed ? ApplyBinary(kOp, x[j * s], acc[j])
                        : ApplyBinary(kOp, acc[j], x[j * s]);
    }
  }
}

template <typename T>
void BinaryStep(ElementwiseOp op, T* acc, const T* x, int64_t s, int64_t n,
                bool reversed) {
  switch (op) {
#define STRATA_CASE_(OP)                                     \
  case ElementwiseOp::OP:                                    \
    BinaryRow<T, ElementwiseOp::OP>(acc, x, s, n, reversed); \
    break;
    STRATA_CASE_(kAdd)
    STRATA_CASE_(kSub)
    STRATA_CASE_(kMul)
    STRATA_CASE_(kDiv)
    STRATA_CASE_(kPow)
    STRATA_CASE_(kMax)
    STRATA_CASE_(kMin)
#undef STRATA_CASE_
    default:
      break;
  }
}

void UnaryStep(ElementwiseOp op, float* acc, int64_t n) {
  switch (op) {
    case ElementwiseOp::kRelu:
      for (int64_t j = 0; j < n; ++j) acc[j] = acc[j] > 0.0f ? acc[j] : 0.0f;
      break;
    case ElementwiseOp::kSigmoid:
      for (int64_t j = 0; j < n; ++j) {
        acc[j] = 1.0f / (1.0f + std::exp(-acc[j]));
      }
      break;
    case ElementwiseOp::kTanh:
      for (int64_t j = 0; j < n; ++j) acc[j] = std::tanh(acc[j]);
      break;
    case ElementwiseOp::kExp:
      for (int64_t j = 0; j < n; ++j) acc[j] = std::exp(acc[j]);
      break;
    case ElementwiseOp::kLog:
      for (int64_t j = 0; j < n; ++j) acc[j] = std::log(acc[j]);
      break;
    case ElementwiseOp::kSqrt:
      for (int64_t j = 0; j < n; ++j) acc[j] = std::sqrt(acc[j]);
      break;
    case ElementwiseOp::kNeg:
      for (int64_t j = 0; j < n; ++j) acc[j] = -acc[j];
      break;
    case ElementwiseOp::kAbs:
      for (int64_t j = 0; j < n; ++j) acc[j] = std::fabs(acc[j]);
      break;
    case ElementwiseOp::kReciprocal:
      for (int64_t j = 0; j < n; ++j) acc[j] = 1.0f / acc[j];
      break;
    default:
      break;
  }
}

template <typename T>
absl::Status RunElementwise(const ElementwiseArgs& a) {
  const int n_in = 1 + static_cast<int>(a.operands.size());
  if (n_in > kMaxRank + 1) {
    return absl::InvalidArgumentError(
        "element-wise program: too many operands");
  }
  const int64_t* in_strides[kMaxRank + 1];
  const T* in_data[kMaxRank + 1];
  in_strides[0] = a.base.strides;
  in_data[0] = static_cast<const T*>(a.base.data);
  for (size_t t = 0; t < a.operands.size(); ++t) {
    in_strides[t + 1] = a.operands[t].strides;
    in_data[t + 1] = static_cast<const T*>(a.operands[t].data);
  }
  Collapsed c;
  Collapse(a.shape, absl::MakeConstSpan(in_strides, n_in), &c);
  const int r = c.shape.rank;
  const int64_t row = c.shape.d[r - 1];
  int64_t rows = 1;
  for (int k = 0; k < r - 1; ++k) rows *= c.shape.d[k];
  T* out = static_cast<T*>(a.out);
  int64_t idx[kMaxRank] = {};
  int64_t off[kMaxRank + 1] = {};
  for (int64_t i = 0; i < rows; ++i) {
    T* acc = out + i * row;
    const T* base = in_data[0] + off[0];
    const int64_t sb = c.strides[0][r - 1];
    if (base != acc) {
      if (sb == 1) {
        std::memmove(acc, base, row * sizeof(T));
      } else {
        for (int64_t j = 0; j < row; ++j) acc[j] = base[j * sb];
      }
    }
    for (const ElementwiseStep& st : a.steps) {
      if (IsBinary(st.op)) {
        if (st.operand < 0) {
          const T v = static_cast<T>(st.scalar);
          BinaryStep<T>(st.op, acc, &v, 0, row, st.reversed);
        } else {
          const int t = st.operand + 1;
          BinaryStep<T>(st.op, acc, in_data[t] + off[t], c.strides[t][r - 1],
                        row, st.reversed);
        }
      } else if constexpr (std::is_same_v<T, float>) {
        UnaryStep(st.op, acc, row);
      }
    }
    // Advance the multi-index over the outer dims.
    for (int k = r - 2; k >= 0; --k) {
      for (int t = 0; t < n_in; ++t) off[t] += c.strides[t][k];
      if (++idx[k] < c.shape.d[k]) break;
      for (int t = 0; t < n_in; ++t) off[t] -= c.strides[t][k] * c.shape.d[k];
      idx[k] = 0;
    }
  }
  return absl::OkStatus();
}

class CpuBackend final : public TensorBackend {
 public:
  std::string_view name() const override { return "cpu"; }
  bool host_memory() const override { return true; }

  absl::StatusOr<void*> Alloc(size_t bytes) override {
    const size_t rounded = std::max<size_t>(64, (bytes + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, rounded);
    if (p == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cpu backend: cannot allocate ", bytes, " bytes"));
    }
    return p;
  }
  void Free(void* p) override { std::free(p); }
  absl::Status CopyToDevice(void* dst, const void* src, size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
    return absl::OkStatus();
  }
  absl::Status CopyToHost(void* dst, const void* src, size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
    return absl::OkStatus();
  }
  absl::Status Synchronize() override { return absl::OkStatus(); }

  absl::Status Gemm(const GemmArgs& g) override {
    for (int64_t b = 0; b < g.batch; ++b) {
      float* c = g.c + b * g.stride_c;
      float beta = g.beta;
      if (g.bias != nullptr) {
        const float* bias = g.bias + b * g.bias_stride_batch;
        for (int64_t i = 0; i < g.m; ++i) {
          for (int64_t j = 0; j < g.n; ++j) {
            c[i * g.ldc + j] =
                g.beta * bias[i * g.bias_stride_m + j * g.bias_stride_n];
          }
        }
        beta = 1.0f;
      }
      if (g.k == 0) {
        if (g.bias == nullptr) {
          for (int64_t i = 0; i < g.m; ++i) {
            for (int64_t j = 0; j < g.n; ++j) c[i * g.ldc + j] *= beta;
          }
        }
        continue;
      }
      cblas_sgemm(CblasRowMajor, g.trans_a ? CblasTrans : CblasNoTrans,
                  g.trans_b ? CblasTrans : CblasNoTrans, g.m, g.n, g.k, g.alpha,
                  g.a + b * g.stride_a, g.lda, g.b + b * g.stride_b, g.ldb,
                  beta, c, g.ldc);
    }
    if (!g.epilogue.empty()) {
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
      return RunElementwise<float>(e);
    }
    return absl::OkStatus();
  }

  absl::Status Elementwise(const ElementwiseArgs& a) override {
    if (a.type == TensorType::kInt64) return RunElementwise<int64_t>(a);
    return RunElementwise<float>(a);
  }

  absl::Status Softmax(int64_t outer, int64_t len, int64_t inner,
                       const float* x, float* y) override {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const float* xs = x + o * len * inner + i;
        float* ys = y + o * len * inner + i;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < len; ++j) mx = std::max(mx, xs[j * inner]);
        float sum = 0.0f;
        for (int64_t j = 0; j < len; ++j) {
          ys[j * inner] = std::exp(xs[j * inner] - mx);
          sum += ys[j * inner];
        }
        for (int64_t j = 0; j < len; ++j) ys[j * inner] /= sum;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Reduce(ReduceOp op, int64_t outer, int64_t len, int64_t inner,
                      const float* x, float* y) override {
    for (int64_t o = 0; o < outer; ++o) {
      float* ys = y + o * inner;
      const float* xs = x + o * len * inner;
      const float init =
          op == ReduceOp::kMax ? -std::numeric_limits<float>::infinity() : 0.0f;
      for (int64_t i = 0; i < inner; ++i) ys[i] = init;
      for (int64_t j = 0; j < len; ++j) {
        const float* row = xs + j * inner;
        if (op == ReduceOp::kMax) {
          for (int64_t i = 0; i < inner; ++i) ys[i] = std::max(ys[i], row[i]);
        } else {
          for (int64_t i = 0; i < inner; ++i) ys[i] += row[i];
        }
      }
      if (op == ReduceOp::kMean && len > 0) {
        for (int64_t i = 0; i < inner; ++i) ys[i] /= static_cast<float>(len);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Gather(size_t elem_bytes, int64_t outer, int64_t axis_len,
                      int64_t inner, const void* x, const int64_t* idx,
                      int64_t n, void* y) override {
    const size_t chunk = inner * elem_bytes;
    const auto* src = static_cast<const char*>(x);
    auto* dst = static_cast<char*>(y);
    for (int64_t j = 0; j < n; ++j) {
      if (idx[j] < -axis_len || idx[j] >= axis_len) {
        return absl::InvalidArgumentError(absl::StrCat("Gather: index ", idx[j],
                                                       " outside [", -axis_len,
                                                       ", ", axis_len, ")"));
      }
    }
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t k = idx[j] < 0 ? idx[j] + axis_len : idx[j];
        std::memcpy(dst + (o * n + j) * chunk, src + (o * axis_len + k) * chunk,
                    chunk);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Cast(TensorType from, TensorType to, int64_t n, const void* x,
                    void* y) override {
    if (from == to) {
      std::memmove(y, x, n * (from == TensorType::kInt64 ? 8 : 4));
    } else if (from == TensorType::kFloat32) {
      const auto* xs = static_cast<const float*>(x);
      auto* ys = static_cast<int64_t*>(y);
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<int64_t>(xs[i]);
    } else {
      const auto* xs = static_cast<const int64_t*>(x);
      auto* ys = static_cast<float*>(y);
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<float>(xs[i]);
    }
    return absl::OkStatus();
  }

  absl::Status Copy2D(void* dst, size_t dst_pitch_bytes, const void* src,
                      size_t src_pitch_bytes, size_t row_bytes,
                      int64_t rows) override {
    auto* d = static_cast<char*>(dst);
    const auto* s = static_cast<const char*>(src);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(d + r * dst_pitch_bytes, s + r * src_pitch_bytes, row_bytes);
    }
    return absl::OkStatus();
  }

  absl::Status StridedCopy(size_t elem_bytes, const Dims& shape,
                           const void* src, const int64_t* src_strides,
                           void* dst) override {
    if (elem_bytes == 4) return Strided<uint32_t>(shape, src, src_strides, dst);
    if (elem_bytes == 8) return Strided<uint64_t>(shape, src, src_strides, dst);
    return absl::InvalidArgumentError("StridedCopy: element size not 4 or 8");
  }

 private:
  template <typename T>
  static absl::Status Strided(const Dims& shape, const void* src,
                              const int64_t* strides, void* dst) {
    const int64_t* in[1] = {strides};
    Collapsed c;
    Collapse(shape, absl::MakeConstSpan(in, 1), &c);
    const int r = c.shape.rank;
    const int64_t row = c.shape.d[r - 1];
    const int64_t s = c.strides[0][r - 1];
    int64_t rows = 1;
    for (int k = 0; k < r - 1; ++k) rows *= c.shape.d[k];
    const T* x = static_cast<const T*>(src);
    T* y = static_cast<T*>(dst);
    int64_t idx[kMaxRank] = {};
    int64_t off = 0;
    for (int64_t i = 0; i < rows; ++i) {
      T* out = y + i * row;
      const T* in_row = x + off;
      if (s == 1) {
        std::memcpy(out, in_row, row * sizeof(T));
      } else {
        for (int64_t j = 0; j < row; ++j) out[j] = in_row[j * s];
      }
      for (int k = r - 2; k >= 0; --k) {
        off += c.strides[0][k];
        if (++idx[k] < c.shape.d[k]) break;
        off -= c.strides[0][k] * c.shape.d[k];
        idx[k] = 0;
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<TensorBackend> NewCpuBackend() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
  return std::make_unique<CpuBackend>();
}

}  // namespace strata
