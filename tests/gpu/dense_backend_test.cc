// The cuda TensorBackend against the CPU backend (the reference), operation
// by operation: each test runs the same function, on the same random inputs,
// through both backends and compares the outputs within 1e-4 (relative to the
// value once it passes 1; integer results exactly). Covered: Gemm (both
// transposes, alpha/beta, padded leading dimensions, the three bias shapes,
// epilogues with broadcast operands, batches sharing B or C, k == 0), float
// element-wise programs (every op, reversed steps, broadcast and transposed
// operands, in place, programs longer than one kernel pass), int64 programs
// (division by zero), Softmax, Reduce, Gather (negative and out-of-range
// indices), Cast, Copy2D (pitches cudaMemcpy2D refuses too) and StridedCopy.
//
// The cuda side runs twice: with cuBLAS when the process can load it, and
// with the built-in SGEMM (STRATA_CUDA_GEMM=builtin). Without a CUDA device
// NewCudaTensorBackend is FAILED_PRECONDITION: each test WARNs and returns.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include "engine/common/tensor_backend.h"
#include "engine/cuda/cuda_tensor_backend.h"
#include "engine/model/dense/cpu_backend.h"

namespace strata {
namespace {

using Op = ElementwiseOp;

// The cuda backends to test, made once per process (cuBLAS when it loads,
// and the built-in SGEMM); empty after a WARN without a device. Never
// destroyed: the CUDA runtime may be gone at static destruction.
std::vector<std::unique_ptr<TensorBackend>> MakeCudaBackends() {
  std::vector<std::unique_ptr<TensorBackend>> out;
  for (bool builtin : {false, true}) {
    if (builtin) {
      setenv("STRATA_CUDA_GEMM", "builtin", 1);
    } else {
      unsetenv("STRATA_CUDA_GEMM");
    }
    auto b = NewCudaTensorBackend(0);
    unsetenv("STRATA_CUDA_GEMM");
    if (b.status().code() == absl::StatusCode::kFailedPrecondition) {
      WARN("no CUDA device: " << b.status().message());
      return {};
    }
    REQUIRE(b.status().ok());
    REQUIRE((*b)->name() == "cuda");
    REQUIRE_FALSE((*b)->host_memory());
    out.push_back(std::move(*b));
  }
  return out;
}

const std::vector<std::unique_ptr<TensorBackend>>& CudaBackends() {
  static const auto* backends =
      new std::vector<std::unique_ptr<TensorBackend>>(MakeCudaBackends());
  if (backends->empty()) WARN("no CUDA device: skipped");
  return *backends;
}

// Allocations on one backend, freed with the arena.
class Arena {
 public:
  explicit Arena(TensorBackend* b) : b_(b) {}
  ~Arena() {
    for (void* p : owned_) b_->Free(p);
  }
  TensorBackend& backend() { return *b_; }

  template <typename T>
  T* Put(const std::vector<T>& v) {
    auto p = b_->Alloc(v.size() * sizeof(T));
    REQUIRE(p.ok());
    owned_.push_back(*p);
    REQUIRE(b_->CopyToDevice(*p, v.data(), v.size() * sizeof(T)).ok());
    return static_cast<T*>(*p);
  }
  template <typename T>
  std::vector<T> Get(const T* p, size_t n) {
    REQUIRE(b_->Synchronize().ok());
    std::vector<T> out(n);
    REQUIRE(b_->CopyToHost(out.data(), p, n * sizeof(T)).ok());
    return out;
  }

 private:
  TensorBackend* b_;
  std::vector<void*> owned_;
};

std::vector<float> Uniform(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Magnitudes in [lo, hi], random signs.
std::vector<float> Signed(size_t n, float lo, float hi, uint32_t seed) {
  std::vector<float> v = Uniform(n, lo, hi, seed);
  std::mt19937 rng(seed + 1);
  for (float& x : v) x = rng() % 2 ? -x : x;
  return v;
}

std::vector<int64_t> Ints(size_t n, int64_t lo, int64_t hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> d(lo, hi);
  std::vector<int64_t> v(n);
  for (int64_t& x : v) x = d(rng);
  return v;
}

void ExpectNear(const std::vector<float>& want, const std::vector<float>& got) {
  REQUIRE(want.size() == got.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const bool both_nan = std::isnan(want[i]) && std::isnan(got[i]);
    const float tol = 1e-4f * std::max(1.0f, std::fabs(want[i]));
    if (!both_nan && !(std::fabs(want[i] - got[i]) <= tol) &&
        want[i] != got[i]) {
      if (bad++ == 0) first = i;
    }
  }
  INFO(bad << " of " << want.size() << " differ; first at " << first << ": cpu "
           << want[first] << " cuda " << got[first]);
  REQUIRE(bad == 0);
}

// Runs `f` on the CPU backend and on every cuda backend and compares.
template <typename T>
void Compare(const std::function<std::vector<T>(Arena&)>& f) {
  const auto& cuda = CudaBackends();
  if (cuda.empty()) return;
  std::unique_ptr<TensorBackend> cpu = NewCpuBackend();
  std::vector<T> want;
  {
    Arena a(cpu.get());
    want = f(a);
  }
  for (size_t i = 0; i < cuda.size(); ++i) {
    INFO("cuda backend " << (i == 0 ? "(cuBLAS if loadable)" : "(builtin)"));
    Arena a(cuda[i].get());
    const std::vector<T> got = f(a);
    if constexpr (std::is_same_v<T, float>) {
      ExpectNear(want, got);
    } else {
      REQUIRE(want == got);
    }
  }
}

Dims MakeDims(std::initializer_list<int64_t> d) {
  Dims out;
  for (int64_t x : d) out.d[out.rank++] = x;
  return out;
}

// Row-major contiguous strides of `d`.
void Contiguous(const Dims& d, int64_t* strides) {
  int64_t s = 1;
  for (int k = d.rank - 1; k >= 0; --k) {
    strides[k] = s;
    s *= d.d[k];
  }
}

ElementwiseStep Step(Op op, int operand = -1, bool reversed = false,
                     float scalar = 0.0f) {
  ElementwiseStep s;
  s.op = op;
  s.operand = operand;
  s.reversed = reversed;
  s.scalar = scalar;
  return s;
}

// ---- Gemm -------------------------------------------------------------

struct GemmCase {
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
  int bias;       // 0 none, 1 (n), 2 (m, n), 3 (batch, m, n)
  bool epilogue;  // + row operand, Relu, Sigmoid
  bool shared_b;  // stride_b 0
  bool shared_c;  // stride_c 0 (every batch writes the same C; no epilogue)
  int64_t pad;    // extra leading-dimension elements of A and B
};

std::vector<float> RunGemm(Arena& a, const GemmCase& c) {
  const int64_t rows_a = c.trans_a ? c.k : c.m, cols_a = c.trans_a ? c.m : c.k;
  const int64_t rows_b = c.trans_b ? c.n : c.k, cols_b = c.trans_b ? c.k : c.n;
  GemmArgs g;
  g.batch = c.batch, g.m = c.m, g.n = c.n, g.k = c.k;
  g.trans_a = c.trans_a, g.trans_b = c.trans_b;
  g.alpha = c.alpha, g.beta = c.beta;
  g.lda = cols_a + c.pad, g.stride_a = rows_a * g.lda;
  g.ldb = cols_b + c.pad, g.stride_b = c.shared_b ? 0 : rows_b * g.ldb;
  g.ldc = c.n, g.stride_c = c.shared_c ? 0 : c.m * c.n;
  g.a = a.Put(Uniform(std::max<int64_t>(1, c.batch * g.stride_a), -1, 1, 1));
  g.b = a.Put(
      Uniform(std::max<int64_t>(1, (c.shared_b ? 1 : c.batch) * rows_b * g.ldb),
              -1, 1, 2));
  const int64_t c_elems = (c.shared_c ? 1 : c.batch) * c.m * c.n;
  g.c = a.Put(Uniform(c_elems, -1, 1, 3));
  if (c.bias == 1) {
    g.bias = a.Put(Uniform(c.n, -1, 1, 4));
    g.bias_stride_n = 1;
  } else if (c.bias == 2) {
    g.bias = a.Put(Uniform(c.m * c.n, -1, 1, 4));
    g.bias_stride_m = c.n, g.bias_stride_n = 1;
  } else if (c.bias == 3) {
    g.bias = a.Put(Uniform(c.batch * c.m * c.n, -1, 1, 4));
    g.bias_stride_batch = c.m * c.n, g.bias_stride_m = c.n, g.bias_stride_n = 1;
  }
  std::vector<StridedInput> operands(1);
  std::vector<ElementwiseStep> steps;
  if (c.epilogue) {
    g.epilogue_shape = MakeDims({c.batch, c.m, c.n});
    operands[0].data = a.Put(Uniform(c.n, -1, 1, 5));
    operands[0].strides[2] = 1;  // a row broadcast over batch and m
    steps = {Step(Op::kAdd, 0), Step(Op::kRelu), Step(Op::kSigmoid),
             Step(Op::kSub, -1, true, 1.0f)};
    g.epilogue = steps;
    g.epilogue_operands = operands;
  }
  REQUIRE(a.backend().Gemm(g).ok());
  return a.Get(g.c, c_elems);
}

TEST_CASE("cuda dense backend: Gemm matches the CPU backend") {
  std::vector<GemmCase> cases;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      cases.push_back(
          {1, 1, 1, 1, ta, tb, 1.0f, 0.0f, 0, false, false, false, 0});
      cases.push_back(
          {1, 7, 13, 5, ta, tb, 1.5f, 0.0f, 1, true, false, false, 0});
      cases.push_back(
          {1, 65, 70, 129, ta, tb, 0.5f, 0.5f, 0, false, false, false, 3});
      cases.push_back(
          {1, 130, 64, 300, ta, tb, 1.0f, 2.0f, 2, true, false, false, 1});
      cases.push_back(
          {3, 33, 17, 40, ta, tb, 1.0f, 1.0f, 1, true, true, false, 0});
      cases.push_back(
          {4, 9, 66, 20, ta, tb, -1.0f, 0.5f, 3, false, false, false, 2});
    }
  }
  cases.push_back(
      {3, 5, 6, 7, false, false, 1.0f, 0.5f, 2, false, true, true, 0});
  cases.push_back(
      {3, 5, 6, 7, false, true, 1.0f, 0.5f, 0, false, false, true, 0});
  cases.push_back(
      {2, 4, 5, 0, false, false, 1.0f, 0.5f, 0, false, false, false, 0});
  cases.push_back(
      {2, 4, 5, 0, false, false, 1.0f, 2.0f, 3, true, false, false, 0});
  for (size_t i = 0; i < cases.size(); ++i) {
    const GemmCase& c = cases[i];
    INFO("case " << i << ": batch " << c.batch << " m " << c.m << " n " << c.n
                 << " k " << c.k << " trans " << c.trans_a << c.trans_b
                 << " bias " << c.bias << " epilogue " << c.epilogue);
    Compare<float>([&](Arena& a) { return RunGemm(a, c); });
  }
}

// ---- Element-wise programs ------------------------------------------------

// Out (d0, d1, d2) from a contiguous base and operands: 0 contiguous, 1 a
// (1, d1, 1) broadcast, 2 transposed (stored (d2, d1, d0)), 3 one element.
std::vector<float> RunFloatProgram(Arena& a, const Dims& shape,
                                   const std::vector<ElementwiseStep>& steps,
                                   bool in_place, bool transposed_base) {
  const int64_t n = shape.NumElements();
  ElementwiseArgs e;
  e.type = TensorType::kFloat32;
  e.shape = shape;
  float* base = a.Put(Uniform(n, 0.5f, 2.0f, 10));
  e.base.data = base;
  if (transposed_base) {
    e.base.strides[0] = 1, e.base.strides[1] = shape.d[0],
    e.base.strides[2] = shape.d[0] * shape.d[1];
  } else {
    Contiguous(shape, e.base.strides);
  }
  std::vector<StridedInput> ops(4);
  ops[0].data = a.Put(Signed(n, 0.5f, 2.0f, 11));
  Contiguous(shape, ops[0].strides);
  ops[1].data = a.Put(Uniform(shape.d[1], 0.5f, 2.0f, 12));
  ops[1].strides[1] = 1;
  ops[2].data = a.Put(Signed(n, 0.5f, 2.0f, 13));
  ops[2].strides[0] = 1, ops[2].strides[1] = shape.d[0],
  ops[2].strides[2] = shape.d[0] * shape.d[1];
  ops[3].data = a.Put(std::vector<float>{-1.25f});
  e.operands = ops;
  e.steps = steps;
  float* out = in_place ? base : a.Put(std::vector<float>(n, 0.0f));
  e.out = out;
  REQUIRE(a.backend().Elementwise(e).ok());
  return a.Get(out, n);
}

TEST_CASE("cuda dense backend: float element-wise programs") {
  const std::vector<ElementwiseStep> every_op = {
      Step(Op::kAdd, 0),
      Step(Op::kMul, 1, true),
      Step(Op::kSub, 2, true),
      Step(Op::kRelu),
      Step(Op::kDiv, 3),
      Step(Op::kMax, -1, false, -0.5f),
      Step(Op::kMin, 0, true),
      Step(Op::kTanh),
      Step(Op::kAbs),
      Step(Op::kAdd, -1, false, 0.25f),
      Step(Op::kPow, -1, false, 1.5f),
      Step(Op::kPow, 1, true),
      Step(Op::kLog),
      Step(Op::kExp),
      Step(Op::kSqrt),
      Step(Op::kSigmoid),
      Step(Op::kNeg),
      Step(Op::kReciprocal),
      Step(Op::kDiv, -1, true, 2.0f),
      Step(Op::kSub, -1, false, 1.0f),
      Step(Op::kMax, 2),
      Step(Op::kMin, -1, true, 3.0f),
  };
  std::vector<ElementwiseStep> long_program;  // more than one kernel pass
  for (int i = 0; i < 45; ++i) {
    long_program.push_back(i % 2 ? Step(Op::kAdd, 1)
                                 : Step(Op::kMul, -1, false, 0.9f));
  }
  for (const Dims& shape :
       {MakeDims({3, 4, 5}), MakeDims({4, 33, 70}), MakeDims({1, 7, 1})}) {
    for (bool in_place : {false, true}) {
      INFO("shape " << shape.d[0] << "x" << shape.d[1] << "x" << shape.d[2]
                    << " in place " << in_place);
      Compare<float>([&](Arena& a) {
        return RunFloatProgram(a, shape, every_op, in_place, false);
      });
      Compare<float>([&](Arena& a) {
        return RunFloatProgram(a, shape, long_program, in_place, false);
      });
    }
    // No steps: a copy through the base's (transposed) strides.
    Compare<float>(
        [&](Arena& a) { return RunFloatProgram(a, shape, {}, false, true); });
    Compare<float>([&](Arena& a) {
      return RunFloatProgram(a, shape, every_op, false, true);
    });
  }
}

TEST_CASE("cuda dense backend: int64 element-wise programs") {
  const Dims shape = MakeDims({5, 6});
  const std::vector<ElementwiseStep> steps = {
      Step(Op::kAdd, 0),
      Step(Op::kMul, -1, false, 3.0f),
      Step(Op::kDiv, 0),  // operand 0 holds zeros: x / 0 == 0
      Step(Op::kSub, 1, true),
      Step(Op::kRelu),  // unary: no-op on int64
      Step(Op::kMax, -1, false, -20.0f),
      Step(Op::kMin, 1, true),
      Step(Op::kDiv, -1, true, 7.0f),
      Step(Op::kAdd, 1),
      Step(Op::kPow, -1, false, 2.0f),
      Step(Op::kSub, -1, false, 2.7f),  // the scalar truncates to 2
  };
  Compare<int64_t>([&](Arena& a) {
    ElementwiseArgs e;
    e.type = TensorType::kInt64;
    e.shape = shape;
    e.base.data = a.Put(Ints(30, -50, 50, 20));
    Contiguous(shape, e.base.strides);
    std::vector<StridedInput> ops(2);
    ops[0].data = a.Put(Ints(30, -3, 3, 21));
    Contiguous(shape, ops[0].strides);
    ops[1].data = a.Put(Ints(5, -9, 9, 22));  // (5, 1) broadcast
    ops[1].strides[0] = 1;
    e.operands = ops;
    e.steps = steps;
    int64_t* out = a.Put(std::vector<int64_t>(30, 0));
    e.out = out;
    REQUIRE(a.backend().Elementwise(e).ok());
    return a.Get(out, 30);
  });
}

// ---- Softmax, Reduce ------------------------------------------------------

TEST_CASE("cuda dense backend: Softmax and Reduce") {
  struct Shape {
    int64_t outer, len, inner;
  };
  for (const Shape& s : {Shape{3, 17, 1}, Shape{2, 1000, 1}, Shape{3, 7, 5},
                         Shape{1, 1, 1}, Shape{4, 300, 33}, Shape{2, 0, 3}}) {
    INFO("outer " << s.outer << " len " << s.len << " inner " << s.inner);
    const int64_t n = s.outer * s.len * s.inner;
    for (bool in_place : {false, true}) {
      if (n == 0) break;
      Compare<float>([&](Arena& a) {
        float* x = a.Put(Signed(n, 0.0f, 5.0f, 30));
        float* y = in_place ? x : a.Put(std::vector<float>(n, 0.0f));
        REQUIRE(a.backend().Softmax(s.outer, s.len, s.inner, x, y).ok());
        return a.Get(y, n);
      });
    }
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMean, ReduceOp::kMax}) {
      INFO("reduce op " << static_cast<int>(op));
      Compare<float>([&](Arena& a) {
        float* x = a.Put(Signed(std::max<int64_t>(n, 1), 0.0f, 5.0f, 31));
        float* y = a.Put(std::vector<float>(s.outer * s.inner, 9.0f));
        REQUIRE(a.backend().Reduce(op, s.outer, s.len, s.inner, x, y).ok());
        return a.Get(y, s.outer * s.inner);
      });
    }
  }
}

// ---- Gather ---------------------------------------------------------------

TEST_CASE("cuda dense backend: Gather with negative indices") {
  Compare<float>([&](Arena& a) {
    const float* x = a.Put(Uniform(3 * 10 * 4, -1, 1, 40));
    const int64_t* idx = a.Put(std::vector<int64_t>{0, 9, -1, -10, 5, 5});
    float* y = a.Put(std::vector<float>(3 * 6 * 4, 0.0f));
    REQUIRE(a.backend().Gather(4, 3, 10, 4, x, idx, 6, y).ok());
    return a.Get(y, 3 * 6 * 4);
  });
  Compare<int64_t>([&](Arena& a) {
    const int64_t* x = a.Put(Ints(2 * 7, INT64_MIN, INT64_MAX, 41));
    const int64_t* idx = a.Put(std::vector<int64_t>{-7, 6, 3, -1});
    int64_t* y = a.Put(std::vector<int64_t>(2 * 4, 0));
    REQUIRE(a.backend().Gather(8, 2, 7, 1, x, idx, 4, y).ok());
    return a.Get(y, 2 * 4);
  });
}

TEST_CASE("cuda dense backend: Gather out of range is INVALID_ARGUMENT") {
  const auto& cuda = CudaBackends();
  if (cuda.empty()) return;
  std::unique_ptr<TensorBackend> cpu = NewCpuBackend();
  for (const std::vector<int64_t>& bad :
       {std::vector<int64_t>{1, 10}, std::vector<int64_t>{-11, 0}}) {
    for (TensorBackend* b : {cpu.get(), cuda[0].get()}) {
      INFO(b->name() << " index " << bad[0] << "," << bad[1]);
      Arena a(b);
      const float* x = a.Put(Uniform(10 * 2, -1, 1, 42));
      const int64_t* idx = a.Put(bad);
      float* y = a.Put(std::vector<float>(2 * 2, 0.0f));
      absl::Status s = b->Gather(4, 1, 10, 2, x, idx, 2, y);
      if (s.ok()) s = b->Synchronize();  // asynchronous backends report here
      REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
      REQUIRE(b->Synchronize().ok());  // reported once
      // The backend stays usable.
      const int64_t* good = a.Put(std::vector<int64_t>{9, -10});
      REQUIRE(b->Gather(4, 1, 10, 2, x, good, 2, y).ok());
      REQUIRE(b->Synchronize().ok());
    }
  }
}

// ---- Cast, Copy2D, StridedCopy -------------------------------------------

TEST_CASE("cuda dense backend: Cast") {
  const std::vector<float> floats = {-2.7f, -0.5f, 0.0f,  0.5f,
                                     2.7f,  1e6f,  -3.0f, 123456.78f};
  Compare<int64_t>([&](Arena& a) {
    const float* x = a.Put(floats);
    int64_t* y = a.Put(std::vector<int64_t>(floats.size(), 7));
    REQUIRE(
        a.backend()
            .Cast(TensorType::kFloat32, TensorType::kInt64, floats.size(), x, y)
            .ok());
    return a.Get(y, floats.size());
  });
  const std::vector<int64_t> ints = {-5, 0, 7, int64_t{1} << 40, -123456789};
  Compare<float>([&](Arena& a) {
    const int64_t* x = a.Put(ints);
    float* y = a.Put(std::vector<float>(ints.size(), 7.0f));
    REQUIRE(
        a.backend()
            .Cast(TensorType::kInt64, TensorType::kFloat32, ints.size(), x, y)
            .ok());
    return a.Get(y, ints.size());
  });
  Compare<int64_t>([&](Arena& a) {
    const int64_t* x = a.Put(ints);
    int64_t* y = a.Put(std::vector<int64_t>(ints.size(), 7));
    REQUIRE(a.backend()
                .Cast(TensorType::kInt64, TensorType::kInt64, ints.size(), x, y)
                .ok());
    return a.Get(y, ints.size());
  });
}

TEST_CASE("cuda dense backend: Copy2D") {
  struct Case {
    size_t dst_pitch, src_pitch, row_bytes;
    int64_t rows;
  };
  // Concat-like; one row; a repeated source row (pitch 0, which
  // cudaMemcpy2D refuses).
  for (const Case& c : {Case{32, 12, 12, 5}, Case{20, 24, 8, 1},
                        Case{16, 0, 12, 4}, Case{12, 12, 12, 6}}) {
    INFO("dst pitch " << c.dst_pitch << " src pitch " << c.src_pitch << " row "
                      << c.row_bytes << " rows " << c.rows);
    Compare<float>([&](Arena& a) {
      const size_t dst_n = c.dst_pitch * c.rows / 4;
      const size_t src_n = (c.src_pitch * (c.rows - 1) + c.row_bytes) / 4;
      const float* src = a.Put(Uniform(src_n, -1, 1, 50));
      float* dst = a.Put(std::vector<float>(dst_n, -9.0f));
      REQUIRE(
          a.backend()
              .Copy2D(dst, c.dst_pitch, src, c.src_pitch, c.row_bytes, c.rows)
              .ok());
      return a.Get(dst, dst_n);
    });
  }
}

TEST_CASE("cuda dense backend: StridedCopy and Transpose") {
  // Transpose (2, 3, 4) by (2, 0, 1), 4- and 8-byte elements.
  const std::vector<int> perm = {2, 0, 1};
  Compare<float>([&](Arena& a) {
    const float* x = a.Put(Uniform(24, -1, 1, 60));
    float* y = a.Put(std::vector<float>(24, 0.0f));
    REQUIRE(a.backend().Transpose(4, MakeDims({2, 3, 4}), perm, x, y).ok());
    return a.Get(y, 24);
  });
  Compare<int64_t>([&](Arena& a) {
    const int64_t* x = a.Put(Ints(24, -1000, 1000, 61));
    int64_t* y = a.Put(std::vector<int64_t>(24, 0));
    REQUIRE(a.backend().Transpose(8, MakeDims({2, 3, 4}), perm, x, y).ok());
    return a.Get(y, 24);
  });
  // A reversed slice x[9:0:-2] of a (3, 10) tensor, rows reversed too.
  Compare<float>([&](Arena& a) {
    const float* x = a.Put(Uniform(30, -1, 1, 62));
    float* y = a.Put(std::vector<float>(15, 0.0f));
    const int64_t strides[] = {-10, -2};
    REQUIRE(
        a.backend().StridedCopy(4, MakeDims({3, 5}), x + 29, strides, y).ok());
    return a.Get(y, 15);
  });
  // Expand (4) to (3, 1, 4); and a rank-0 copy.
  Compare<float>([&](Arena& a) {
    const float* x = a.Put(Uniform(4, -1, 1, 63));
    float* y = a.Put(std::vector<float>(13, 0.0f));
    const int64_t strides[] = {0, 0, 1};
    REQUIRE(
        a.backend().StridedCopy(4, MakeDims({3, 1, 4}), x, strides, y).ok());
    REQUIRE(a.backend().StridedCopy(4, Dims{}, x + 2, strides, y + 12).ok());
    return a.Get(y, 13);
  });
}

}  // namespace
}  // namespace strata
