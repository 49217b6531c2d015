// Every load error of DenseNetwork::Load: INVALID_ARGUMENT naming what is
// wrong, and FAILED_PRECONDITION for the CUDA backend (not built in yet).
#include <catch2/catch.hpp>

#include "tests/unit/onnx_builder.h"

namespace strata::testing {
namespace {

void RequireError(const std::string& model, absl::StatusCode code,
                  const std::vector<std::string>& mentions) {
  auto net = DenseNetwork::Load(model);
  REQUIRE_FALSE(net.ok());
  INFO(net.status().ToString());
  CHECK(net.status().code() == code);
  for (const std::string& m : mentions) {
    CHECK(std::string(net.status().message()).find(m) != std::string::npos);
  }
}

TEST_CASE("Load refuses an unsupported operator, naming the node",
          "[dense][errors]") {
  OnnxBuilder b;
  b.Input("x", {4});
  b.Node("Relu", {"x"}, {"r"});
  b.Node("LpNormalization", {"r"}, {"y"}).set_name("my_norm");
  b.Output("y");
  RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
               {"my_norm", "LpNormalization", "unsupported operator"});
}

TEST_CASE("Load refuses bad or missing attributes, naming the node",
          "[dense][errors]") {
  SECTION("unknown attribute") {
    OnnxBuilder b;
    b.Input("x", {4});
    AttrInt(b.Node("Relu", {"x"}, {"y"}), "bogus", 1);
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Relu_0", "bogus"});
  }
  SECTION("attribute of the wrong type") {
    OnnxBuilder b;
    b.Input("x", {4}).Initializer("W", {4, 4}, std::vector<float>(16, 1.0f));
    AttrInts(b.Node("Gemm", {"x", "W"}, {"y"}), "transB", {1});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Gemm_0", "transB"});
  }
  SECTION("missing Concat axis") {
    OnnxBuilder b;
    b.Input("x", {4});
    b.Node("Concat", {"x", "x"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Concat_0", "axis"});
  }
  SECTION("Transpose perm that is not a permutation") {
    OnnxBuilder b;
    b.Input("x", {4});
    AttrInts(b.Node("Transpose", {"x"}, {"y"}), "perm", {0, 0});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Transpose_0", "perm"});
  }
}

TEST_CASE("Load refuses non-float inputs, dynamic axes and bad bytes",
          "[dense][errors]") {
  SECTION("int64 graph input") {
    OnnxBuilder b;
    b.Input("ids", {4}, onnx::TensorProto::INT64);
    b.Node("Identity", {"ids"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"'ids'", "float32"});
  }
  SECTION("dynamic non-batch axis") {
    OnnxBuilder b;
    b.Input("x", {-1, 4});
    b.Node("Relu", {"x"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"'x'", "axis 1", "dynamic"});
  }
  SECTION("unparsable bytes") {
    RequireError("\xff\xff\xff not a model", absl::StatusCode::kInvalidArgument,
                 {"cannot parse"});
  }
  SECTION("shapes that do not fit, naming the node") {
    OnnxBuilder b;
    b.Input("x", {4}).Initializer("W", {3, 2}, std::vector<float>(6, 1.0f));
    b.Node("MatMul", {"x", "W"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"MatMul_0", "inner dims"});
  }
  SECTION("the CUDA backend is not built in yet") {
    OnnxBuilder b;
    b.Input("x", {4});
    b.Node("Relu", {"x"}, {"y"});
    b.Output("y");
    DenseNetworkOptions options;
    options.backend = DenseBackendKind::kCuda;
    auto net = DenseNetwork::Load(b.Serialize(), options);
    CHECK(net.status().code() == absl::StatusCode::kFailedPrecondition);
  }
}

// Regression (onnx_load_fuzz, UBSan "signed integer overflow" in
// NumElements): shapes whose element count overflows int64 are refused
// before anything multiplies or allocates them.
TEST_CASE("Load refuses tensors past kMaxTensorElements without overflow",
          "[dense][errors]") {
  const int64_t huge = (int64_t{1} << 57) - 1;
  SECTION("an initializer's dims") {
    OnnxBuilder b;
    b.Input("x", {4}).Initializer("W", {59334, huge}, {});
    b.Node("Add", {"x", "W"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"tensor 'W'", "elements"});
  }
  SECTION("a graph input's sample shape") {
    OnnxBuilder b;
    b.Input("x", {59334, huge});
    b.Node("Relu", {"x"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"'x'", "elements"});
  }
  SECTION("a shape computed by a node") {
    OnnxBuilder b;
    b.Input("x", {4}).InitializerInt64("s", {3}, {huge, 1, 1});
    b.Node("Expand", {"x", "s"}, {"y"});
    b.Output("y");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Expand_0", "elements"});
  }
}

// Regression (onnx_load_fuzz, UBSan "member access within null pointer" in
// Expand/Slice's Infer): an absent ("") first input is refused, naming the
// node, for every operator.
TEST_CASE("Load refuses a node whose first input is absent",
          "[dense][errors]") {
  struct Case {
    const char* op;
    std::vector<std::string> inputs;
    bool axis;
  };
  const std::vector<Case> cases = {{"Expand", {"", "s"}, false},
                                   {"Slice", {"", "s", "s"}, false},
                                   {"Concat", {"", "x"}, true},
                                   {"Gather", {"", "s"}, true},
                                   {"Relu", {""}, false}};
  for (const Case& c : cases) {
    INFO(c.op);
    OnnxBuilder b;
    b.Input("x", {4}).InitializerInt64("s", {1}, {1});
    onnx::NodeProto& node = b.Node(c.op, c.inputs, {"y"});
    if (c.axis) AttrInt(node, "axis", 0);
    b.Output("y");
    auto net = DenseNetwork::Load(b.Serialize());
    REQUIRE_FALSE(net.ok());
    CHECK(net.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(net.status().message()).find("input 0 is missing") !=
          std::string::npos);
  }
}

// Regression (onnx_load_fuzz, LeakSanitizer: Softmax's Infer wrote out[0]
// of a node with no outputs, past the end of the vector): every node needs
// exactly one named output.
TEST_CASE("Load refuses a node without exactly one named output",
          "[dense][errors]") {
  const std::vector<std::vector<std::string>> outputs = {{}, {""}, {"y", "z"}};
  for (const std::vector<std::string>& out : outputs) {
    INFO(out.size() << " outputs");
    OnnxBuilder b;
    b.Input("x", {4});
    b.Node("Softmax", {"x"}, out);
    b.Node("Relu", {"x"}, {"r"});
    b.Output("r");
    RequireError(b.Serialize(), absl::StatusCode::kInvalidArgument,
                 {"Softmax_0", "one named output"});
  }
}

}  // namespace
}  // namespace strata::testing
