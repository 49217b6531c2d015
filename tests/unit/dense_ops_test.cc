// Every operator of the dense executor against a direct computation:
// linear algebra, element-wise with broadcasting, softmax and reductions.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/unit/dense_test_util.h"
#include "tests/unit/onnx_builder.h"

namespace strata::testing {
namespace {

// out[i] = f(a[bcast i], b[bcast i]) over the broadcast of a and b.
template <typename F>
std::vector<float> Binary(const std::vector<float>& a,
                          const std::vector<int64_t>& as,
                          const std::vector<float>& b,
                          const std::vector<int64_t>& bs,
                          const std::vector<int64_t>& out, F f) {
  std::vector<float> r(Count(out));
  for (int64_t i = 0; i < Count(out); ++i) {
    std::vector<int64_t> idx = Unravel(i, out);
    r[i] = f(a[BroadcastOffset(idx, as)], b[BroadcastOffset(idx, bs)]);
  }
  return r;
}

TEST_CASE("Gemm with transA, transB, alpha, beta and a broadcast C",
          "[dense][ops]") {
  const int64_t batch = 6, k = 4, m = 5;
  // out = Transpose(0.5 * W^T x^T + 2 * C), W (k, m), x (batch, k), C (m, 1)
  std::vector<float> w = RandomFloats(k * m, 1), c = RandomFloats(m, 2);
  std::vector<float> x = RandomFloats(batch * k, 3);
  OnnxBuilder b;
  b.Input("x", {k}).Initializer("W", {k, m}, w).Initializer("C", {m, 1}, c);
  onnx::NodeProto& g = b.Node("Gemm", {"W", "x", "C"}, {"g"});
  AttrInt(g, "transA", 1);
  AttrInt(g, "transB", 1);
  AttrFloat(g, "alpha", 0.5f);
  AttrFloat(g, "beta", 2.0f);
  AttrInts(b.Node("Transpose", {"g"}, {"y"}), "perm", {1, 0});
  b.Output("y");
  auto r = RunDense(b.Serialize(), batch, {x});
  REQUIRE(r.ok());
  std::vector<float> want(batch * m);
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      float acc = 0;
      for (int64_t t = 0; t < k; ++t) acc += w[t * m + j] * x[i * k + t];
      want[i * m + j] = 0.5f * acc + 2.0f * c[j];
    }
  }
  CHECK(r->shapes[0] == std::vector<int64_t>{batch, m});
  RequireNear(r->values[0], want);
}

TEST_CASE("Gemm with a (N) bias, plain", "[dense][ops]") {
  const int64_t batch = 3, k = 7, n = 2;
  std::vector<float> w = RandomFloats(n * k, 4), bias = RandomFloats(n, 5);
  std::vector<float> x = RandomFloats(batch * k, 6);
  OnnxBuilder b;
  b.Input("x", {k}).Initializer("W", {n, k}, w).Initializer("B", {n}, bias);
  AttrInt(b.Node("Gemm", {"x", "W", "B"}, {"y"}), "transB", 1);
  b.Output("y");
  auto r = RunDense(b.Serialize(), batch, {x});
  REQUIRE(r.ok());
  std::vector<float> want(batch * n);
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t t = 0; t < k; ++t) acc += x[i * k + t] * w[j * k + t];
      want[i * n + j] = acc + bias[j];
    }
  }
  RequireNear(r->values[0], want);
}

std::vector<float> RefMatMul(const std::vector<float>& a,
                             const std::vector<int64_t>& as,
                             const std::vector<float>& b,
                             const std::vector<int64_t>& bs,
                             const std::vector<int64_t>& out) {
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  std::vector<int64_t> ab(as.begin(), as.end() - 2),
      bb(bs.begin(), bs.end() - 2);
  std::vector<int64_t> ob(out.begin(), out.end() - 2);
  std::vector<float> r(Count(out));
  for (int64_t bi = 0; bi < Count(ob); ++bi) {
    std::vector<int64_t> idx = Unravel(bi, ob);
    const float* pa = a.data() + BroadcastOffset(idx, ab) * m * k;
    const float* pb = b.data() + BroadcastOffset(idx, bb) * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0;
        for (int64_t t = 0; t < k; ++t) acc += pa[i * k + t] * pb[t * n + j];
        r[(bi * m + i) * n + j] = acc;
      }
    }
  }
  return r;
}

TEST_CASE("MatMul: 2-D weight, batched, and broadcast batch dims",
          "[dense][ops]") {
  const int64_t batch = 4;
  SECTION("(B, 3, 4) x (4, 5)") {
    std::vector<float> x = RandomFloats(batch * 12, 7), w = RandomFloats(20, 8);
    OnnxBuilder b;
    b.Input("x", {3, 4}).Initializer("W", {4, 5}, w);
    b.Node("MatMul", {"x", "W"}, {"y"});
    b.Output("y");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 3, 5});
    RequireNear(r->values[0],
                RefMatMul(x, {batch, 3, 4}, w, {4, 5}, {batch, 3, 5}));
  }
  SECTION("(B, 3, 4) x (B, 4, 2), two runtime inputs") {
    std::vector<float> x = RandomFloats(batch * 12, 9);
    std::vector<float> z = RandomFloats(batch * 8, 10);
    OnnxBuilder b;
    b.Input("x", {3, 4}).Input("z", {4, 2});
    b.Node("MatMul", {"x", "z"}, {"y"});
    b.Output("y");
    auto r = RunDense(b.Serialize(), batch, {x, z});
    REQUIRE(r.ok());
    RequireNear(r->values[0],
                RefMatMul(x, {batch, 3, 4}, z, {batch, 4, 2}, {batch, 3, 2}));
  }
  SECTION("(B, 1, 3, 4) x (2, 4, 5) broadcasts to (B, 2, 3, 5)") {
    std::vector<float> x = RandomFloats(batch * 12, 11);
    std::vector<float> w = RandomFloats(40, 12);
    OnnxBuilder b;
    b.Input("x", {1, 3, 4}).Initializer("W", {2, 4, 5}, w);
    b.Node("MatMul", {"x", "W"}, {"y"});
    b.Output("y");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 2, 3, 5});
    RequireNear(r->values[0],
                RefMatMul(x, {batch, 1, 3, 4}, w, {2, 4, 5}, {batch, 2, 3, 5}));
  }
}

TEST_CASE("Binary element-wise operators broadcast like numpy",
          "[dense][ops]") {
  const int64_t batch = 3;
  const std::vector<int64_t> xs = {batch, 3, 4};
  std::vector<float> x = RandomFloats(Count(xs), 13);
  std::vector<float> y = RandomFloats(batch * 4, 14);  // (B, 1, 4)
  std::vector<float> c = RandomFloats(3, 15);          // (3, 1)
  for (float& v : c) v += 2.0f;                        // no division by ~0
  struct Case {
    const char* op;
    float (*f)(float, float);
  };
  const Case cases[] = {
      {"Add", [](float a, float b) { return a + b; }},
      {"Sub", [](float a, float b) { return a - b; }},
      {"Mul", [](float a, float b) { return a * b; }},
      {"Div", [](float a, float b) { return a / b; }},
  };
  for (const Case& cs : cases) {
    DYNAMIC_SECTION(cs.op << ": runtime (B,3,4) op runtime (B,1,4)") {
      OnnxBuilder b;
      b.Input("x", {3, 4}).Input("y", {1, 4});
      b.Node(cs.op, {"x", "y"}, {"o"});
      b.Output("o");
      auto r = RunDense(b.Serialize(), batch, {x, y});
      REQUIRE(r.ok());
      RequireNear(r->values[0], Binary(x, xs, y, {batch, 1, 4}, xs, cs.f));
    }
    DYNAMIC_SECTION(cs.op << ": constant (3,1) op runtime (B,3,4)") {
      OnnxBuilder b;
      b.Input("x", {3, 4}).Initializer("c", {3, 1}, c);
      b.Node(cs.op, {"c", "x"}, {"o"});
      b.Output("o");
      std::vector<float> xx = x;
      for (float& v : xx) v += 3.0f;
      auto r = RunDense(b.Serialize(), batch, {xx});
      REQUIRE(r.ok());
      RequireNear(r->values[0], Binary(c, {3, 1}, xx, xs, xs, cs.f));
    }
  }
  SECTION("Pow with a scalar exponent") {
    OnnxBuilder b;
    b.Input("x", {3, 4}).Initializer("e", {}, {3.0f});
    b.Node("Pow", {"x", "e"}, {"o"});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    std::vector<float> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) want[i] = std::pow(x[i], 3.0f);
    RequireNear(r->values[0], want);
  }
}

TEST_CASE("Unary activations", "[dense][ops]") {
  const int64_t batch = 5;
  std::vector<float> x = RandomFloats(batch * 16, 16);
  for (float& v : x) v *= 4.0f;
  struct Case {
    const char* op;
    float (*f)(float);
  };
  const Case cases[] = {
      {"Relu", [](float a) { return a > 0 ? a : 0.0f; }},
      {"Sigmoid", [](float a) { return 1.0f / (1.0f + std::exp(-a)); }},
      {"Tanh", [](float a) { return std::tanh(a); }},
  };
  for (const Case& cs : cases) {
    DYNAMIC_SECTION(cs.op) {
      OnnxBuilder b;
      b.Input("x", {16});
      b.Node(cs.op, {"x"}, {"o"});
      b.Output("o");
      auto r = RunDense(b.Serialize(), batch, {x});
      REQUIRE(r.ok());
      std::vector<float> want(x.size());
      for (size_t i = 0; i < x.size(); ++i) want[i] = cs.f(x[i]);
      RequireNear(r->values[0], want);
    }
  }
}

std::vector<float> RefSoftmax(const std::vector<float>& x,
                              const std::vector<int64_t>& s, int axis) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  const int64_t len = s[axis];
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      float mx = -1e30f, sum = 0;
      for (int64_t j = 0; j < len; ++j) {
        mx = std::max(mx, x[(o * len + j) * inner + i]);
      }
      for (int64_t j = 0; j < len; ++j) {
        sum += std::exp(x[(o * len + j) * inner + i] - mx);
      }
      for (int64_t j = 0; j < len; ++j) {
        y[(o * len + j) * inner + i] =
            std::exp(x[(o * len + j) * inner + i] - mx) / sum;
      }
    }
  }
  return y;
}

TEST_CASE("Softmax along one axis (opset 13), any axis", "[dense][ops]") {
  const int64_t batch = 2;
  const std::vector<int64_t> s = {batch, 3, 4};
  std::vector<float> x = RandomFloats(Count(s), 17);
  for (int64_t axis : {1, -1, 0}) {
    DYNAMIC_SECTION("axis " << axis) {
      OnnxBuilder b;
      b.Input("x", {3, 4});
      AttrInt(b.Node("Softmax", {"x"}, {"o"}), "axis", axis);
      b.Output("o");
      auto r = RunDense(b.Serialize(), batch, {x});
      REQUIRE(r.ok());
      RequireNear(
          r->values[0],
          RefSoftmax(x, s, static_cast<int>(axis < 0 ? axis + 3 : axis)));
    }
  }
}

TEST_CASE("ReduceSum (axes input) and ReduceMean (axes attribute)",
          "[dense][ops]") {
  const int64_t batch = 2;
  const std::vector<int64_t> s = {batch, 2, 3, 4};
  std::vector<float> x = RandomFloats(Count(s), 18);
  auto reference = [&](std::vector<bool> red, bool mean) {
    std::vector<int64_t> os;
    for (size_t i = 0; i < s.size(); ++i) os.push_back(red[i] ? 1 : s[i]);
    std::vector<float> y(Count(os), 0.0f);
    int64_t len = 1;
    for (size_t i = 0; i < s.size(); ++i) len *= red[i] ? s[i] : 1;
    for (int64_t i = 0; i < Count(s); ++i) {
      std::vector<int64_t> idx = Unravel(i, s);
      for (size_t d = 0; d < s.size(); ++d) {
        if (red[d]) idx[d] = 0;
      }
      int64_t off = 0;
      for (size_t d = 0; d < s.size(); ++d) off = off * os[d] + idx[d];
      y[off] += x[i];
    }
    if (mean) {
      for (float& v : y) v /= static_cast<float>(len);
    }
    return std::make_pair(os, y);
  };
  SECTION("ReduceSum over non-adjacent axes [1, -1], keepdims 1") {
    OnnxBuilder b;
    b.Input("x", {2, 3, 4}).InitializerInt64("axes", {2}, {1, -1});
    b.Node("ReduceSum", {"x", "axes"}, {"o"});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    auto [os, want] = reference({false, true, false, true}, false);
    CHECK(r->shapes[0] == os);
    RequireNear(r->values[0], want);
  }
  SECTION("ReduceSum over [2, 3], keepdims 0") {
    OnnxBuilder b;
    b.Input("x", {2, 3, 4}).InitializerInt64("axes", {2}, {2, 3});
    AttrInt(b.Node("ReduceSum", {"x", "axes"}, {"o"}), "keepdims", 0);
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    auto [os, want] = reference({false, false, true, true}, false);
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 2});
    RequireNear(r->values[0], want);
  }
  SECTION("ReduceSum with no axes and noop_with_empty_axes is the identity") {
    OnnxBuilder b;
    b.Input("x", {2, 3, 4});
    AttrInt(b.Node("ReduceSum", {"x"}, {"o"}), "noop_with_empty_axes", 1);
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == s);
    RequireNear(r->values[0], x);
  }
  SECTION("ReduceMean over the attribute axes [-2]") {
    OnnxBuilder b;
    b.Input("x", {2, 3, 4});
    AttrInts(b.Node("ReduceMean", {"x"}, {"o"}), "axes", {-2});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    auto [os, want] = reference({false, false, true, false}, true);
    CHECK(r->shapes[0] == os);
    RequireNear(r->values[0], want);
  }
}

}  // namespace
}  // namespace strata::testing
