// The dense executor's load-time passes and sessions: constant folding,
// fusion (equal results fused or not), the per-batch plan cache, and
// buffers that stop growing at the largest batch.
#include <catch2/catch.hpp>
#include <random>

#include "tests/unit/dense_test_util.h"
#include "tests/unit/onnx_builder.h"

namespace strata::testing {
namespace {

// x (B, 8) -> Gemm(W1) -> Add(b1) -> Relu -> Mul(s) -> Add(t) -> Sigmoid;
// with `split`, a second output reads the Relu, so nothing after Gemm fuses.
std::string Mlp(bool split) {
  OnnxBuilder b;
  b.Input("x", {8}).Initializer("W1", {8, 16}, RandomFloats(128, 30));
  b.Initializer("b1", {16}, RandomFloats(16, 31));
  b.Initializer("s", {16}, RandomFloats(16, 32));
  b.Initializer("t", {1}, {0.25f});
  b.Node("Gemm", {"x", "W1"}, {"g"});
  b.Node("Add", {"g", "b1"}, {"gb"});
  b.Node("Relu", {"gb"}, {"h"});
  b.Node("Mul", {"s", "h"}, {"m"});
  b.Node("Add", {"m", "t"}, {"a"});
  b.Node("Sigmoid", {"a"}, {"y"});
  b.Output("y");
  if (split) b.Output("h");
  return b.Serialize();
}

TEST_CASE("Fusion: Gemm+Add+Relu and Mul+Add+Sigmoid match the unfused graph",
          "[dense][passes]") {
  auto fused = DenseNetwork::Load(Mlp(false));
  REQUIRE(fused.ok());
  const std::string d = (*fused)->Describe();
  INFO(d);
  // The bias goes into Gemm's C, the rest into its epilogue.
  CHECK(d.find("Gemm+Add+Relu+Mul+Add+Sigmoid: 1") != std::string::npos);
  auto unfused = DenseNetwork::Load(Mlp(true));
  REQUIRE(unfused.ok());
  CHECK((*unfused)->Describe().find("Mul+Add+Sigmoid: 1") != std::string::npos);
  CHECK((*unfused)->Describe().find("Gemm+Add+Relu: 1") != std::string::npos);
  std::vector<float> x = RandomFloats(7 * 8, 33);
  auto a = RunDense(Mlp(false), 7, {x});
  auto b = RunDense(Mlp(true), 7, {x});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  RequireNear(a->values[0], b->values[0], 1e-6);
}

// DLRM's interaction shape: T (B, n, d), Z = T x T^T (B, n, n); with
// `keep`, the Transpose's output is also a graph output, so it stays.
std::string Interaction(bool keep) {
  OnnxBuilder b;
  b.Input("t", {5, 3});
  AttrInts(b.Node("Transpose", {"t"}, {"tt"}), "perm", {0, 2, 1});
  b.Node("MatMul", {"t", "tt"}, {"z"});
  b.Output("z");
  if (keep) b.Output("tt");
  return b.Serialize();
}

TEST_CASE("A Transpose of the last two axes folds into the MatMul after it",
          "[dense][passes]") {
  auto folded = DenseNetwork::Load(Interaction(false));
  REQUIRE(folded.ok());
  INFO((*folded)->Describe());
  CHECK((*folded)->Describe().find("Transpose+MatMul: 1") != std::string::npos);
  auto kept = DenseNetwork::Load(Interaction(true));
  REQUIRE(kept.ok());
  CHECK((*kept)->Describe().find("Transpose+MatMul") == std::string::npos);
  std::vector<float> t = RandomFloats(6 * 15, 40);
  auto a = RunDense(Interaction(false), 6, {t});
  auto b = RunDense(Interaction(true), 6, {t});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  RequireNear(a->values[0], b->values[0], 1e-6);
  // Against a direct computation of sample 4's Z[1][2].
  const float* s4 = t.data() + 4 * 15;
  float z = 0;
  for (int d = 0; d < 3; ++d) z += s4[1 * 3 + d] * s4[2 * 3 + d];
  CHECK(a->values[0][4 * 25 + 1 * 5 + 2] == Approx(z).margin(1e-6));
}

TEST_CASE("Constant folding evaluates constant subgraphs at load",
          "[dense][passes]") {
  OnnxBuilder b;
  b.Input("x", {4}).Initializer("w", {4}, {1, 2, 3, 4});
  b.Initializer("two", {1}, {2.0f});
  // (w * 2) + w is constant; Shape(x)[1:] is static, so folds too.
  b.Node("Mul", {"w", "two"}, {"w2"});
  b.Node("Add", {"w2", "w"}, {"w3"});
  AttrInt(b.Node("Shape", {"x"}, {"s"}), "start", 1);  // (4): static
  b.InitializerInt64("one", {}, {0});
  b.Node("Gather", {"s", "one"}, {"d"});
  AttrInt(b.Node("Cast", {"d"}, {"df"}), "to", onnx::TensorProto::FLOAT);
  b.Node("Mul", {"x", "w3"}, {"y0"});
  b.Node("Add", {"y0", "df"}, {"y"});
  b.Output("y");
  auto net = DenseNetwork::Load(b.Serialize());
  REQUIRE(net.ok());
  const std::string d = (*net)->Describe();
  INFO(d);
  CHECK(d.find("folded: 5 nodes into constants") != std::string::npos);
  CHECK(d.find("Shape 1") != std::string::npos);
  CHECK(d.find("Mul+Add: 1") != std::string::npos);
  auto r = RunDense(b.Serialize(), 2, {{1, 1, 1, 1, 0, 1, 2, 3}});
  REQUIRE(r.ok());
  RequireNear(r->values[0], {7, 10, 13, 16, 4, 10, 22, 40});
}

TEST_CASE("Plans are cached per batch size and buffers stop growing",
          "[dense][passes]") {
  const std::string model = Mlp(true);
  auto net = DenseNetwork::Load(model);
  REQUIRE(net.ok());
  std::unique_ptr<DenseSession> s = (*net)->NewSession();
  std::vector<int64_t> batches = {1, 3, 64, 2, 200, 7, 64, 1, 150, 200, 3};
  std::mt19937 rng(34);
  std::shuffle(batches.begin(), batches.end(), rng);
  int64_t allocations_at_max = -1;
  bool seen_max = false;
  for (int64_t batch : batches) {
    std::vector<float> x =
        RandomFloats(batch * 8, static_cast<uint32_t>(batch));
    REQUIRE(s->Prepare(batch).ok());
    std::copy(x.begin(), x.end(), s->input(0).begin());
    REQUIRE(s->Run().ok());
    auto fresh = RunDense(model, batch, {x});
    REQUIRE(fresh.ok());
    for (size_t j = 0; j < 2; ++j) {
      CHECK(s->output(j).shape == fresh->shapes[j]);
      RequireNear(std::vector<float>(s->output(j).values.begin(),
                                     s->output(j).values.end()),
                  fresh->values[j], 0.0);
    }
    if (batch == 200) {
      if (!seen_max) allocations_at_max = s->buffer_allocations();
      seen_max = true;
    }
    if (seen_max) CHECK(s->buffer_allocations() == allocations_at_max);
  }
  CHECK(allocations_at_max >= 1);
  // Re-running a prepared batch allocates nothing either.
  for (int i = 0; i < 3; ++i) REQUIRE(s->Run().ok());
  CHECK(s->buffer_allocations() == allocations_at_max);
}

TEST_CASE("Prepare refuses batches outside [1, max_batch]", "[dense][passes]") {
  DenseNetworkOptions options;
  options.max_batch = 16;
  auto net = DenseNetwork::Load(Mlp(false), options);
  REQUIRE(net.ok());
  auto s = (*net)->NewSession();
  CHECK(s->Prepare(0).code() == absl::StatusCode::kInvalidArgument);
  CHECK(s->Prepare(17).code() == absl::StatusCode::kInvalidArgument);
  CHECK(s->Run().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s->Prepare(16).ok());
}

}  // namespace
}  // namespace strata::testing
