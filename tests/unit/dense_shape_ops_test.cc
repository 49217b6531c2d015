// Data-movement and shape operators of the dense executor against direct
// computations: Concat, Flatten, Reshape, Transpose, Squeeze / Unsqueeze
// (axes as input and as attribute), Gather, Shape, Cast, Slice, Expand,
// ConstantOfShape.
#include <catch2/catch.hpp>

#include "tests/unit/dense_test_util.h"
#include "tests/unit/onnx_builder.h"

namespace strata::testing {
namespace {

TEST_CASE("Concat along axis 1 and -1", "[dense][ops]") {
  const int64_t batch = 3;
  std::vector<float> x = RandomFloats(batch * 2 * 3, 20);
  std::vector<float> y = RandomFloats(batch * 2 * 5, 21);
  SECTION("axis -1") {
    OnnxBuilder b;
    b.Input("x", {2, 3}).Input("y", {2, 5});
    AttrInt(b.Node("Concat", {"x", "y"}, {"o"}), "axis", -1);
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x, y});
    REQUIRE(r.ok());
    std::vector<float> want;
    for (int64_t i = 0; i < batch * 2; ++i) {
      want.insert(want.end(), x.begin() + i * 3, x.begin() + i * 3 + 3);
      want.insert(want.end(), y.begin() + i * 5, y.begin() + i * 5 + 5);
    }
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 2, 8});
    RequireNear(r->values[0], want);
  }
  SECTION("axis 1") {
    OnnxBuilder b;
    b.Input("x", {2, 3}).Input("z", {4, 3});
    AttrInt(b.Node("Concat", {"x", "z"}, {"o"}), "axis", 1);
    b.Output("o");
    std::vector<float> z = RandomFloats(batch * 12, 22);
    auto r = RunDense(b.Serialize(), batch, {x, z});
    REQUIRE(r.ok());
    std::vector<float> want;
    for (int64_t i = 0; i < batch; ++i) {
      want.insert(want.end(), x.begin() + i * 6, x.begin() + i * 6 + 6);
      want.insert(want.end(), z.begin() + i * 12, z.begin() + i * 12 + 12);
    }
    RequireNear(r->values[0], want);
  }
}

TEST_CASE("Flatten, Reshape with 0 and -1, Transpose", "[dense][ops]") {
  const int64_t batch = 4;
  std::vector<float> x = RandomFloats(batch * 12, 23);
  SECTION("Flatten axis 1 then Reshape [0, 2, -1]") {
    OnnxBuilder b;
    b.Input("x", {3, 4}).InitializerInt64("s", {3}, {0, 2, -1});
    AttrInt(b.Node("Flatten", {"x"}, {"f"}), "axis", 1);
    b.Node("Reshape", {"f", "s"}, {"o"});
    b.Output("o").Output("f");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 2, 6});
    CHECK(r->shapes[1] == std::vector<int64_t>{batch, 12});
    RequireNear(r->values[0], x);
    RequireNear(r->values[1], x);
  }
  SECTION("Transpose perm [0, 2, 1]") {
    OnnxBuilder b;
    b.Input("x", {3, 4});
    AttrInts(b.Node("Transpose", {"x"}, {"o"}), "perm", {0, 2, 1});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    std::vector<float> want(x.size());
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t i = 0; i < 3; ++i) {
        for (int64_t j = 0; j < 4; ++j) {
          want[(n * 4 + j) * 3 + i] = x[(n * 3 + i) * 4 + j];
        }
      }
    }
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 4, 3});
    RequireNear(r->values[0], want);
  }
}

TEST_CASE("Unsqueeze and Squeeze: axes as input (opset 13) or attribute (11)",
          "[dense][ops]") {
  const int64_t batch = 2;
  std::vector<float> x = RandomFloats(batch * 3, 24);
  SECTION("opset 13, negative axes") {
    OnnxBuilder b(13);
    b.Input("x", {3}).InitializerInt64("ua", {2}, {1, -1});
    b.InitializerInt64("sa", {1}, {-1});
    b.Node("Unsqueeze", {"x", "ua"}, {"u"});
    b.Node("Squeeze", {"u", "sa"}, {"o"});
    b.Output("u").Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 1, 3, 1});
    CHECK(r->shapes[1] == std::vector<int64_t>{batch, 1, 3});
    RequireNear(r->values[1], x);
  }
  SECTION("opset 11, attributes") {
    OnnxBuilder b(11);
    b.Input("x", {3});
    AttrInts(b.Node("Unsqueeze", {"x"}, {"u"}), "axes", {-2});
    AttrInts(b.Node("Squeeze", {"u"}, {"o"}), "axes", {1});
    b.Output("u").Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 1, 3});
    CHECK(r->shapes[1] == std::vector<int64_t>{batch, 3});
    RequireNear(r->values[1], x);
  }
}

TEST_CASE("Gather: any axis, negative indices, runtime indices",
          "[dense][ops]") {
  const int64_t batch = 3;
  std::vector<float> x = RandomFloats(batch * 4 * 2, 25);
  SECTION("axis 1 with constant indices [-1, 0, 2]") {
    OnnxBuilder b;
    b.Input("x", {4, 2}).InitializerInt64("i", {3}, {-1, 0, 2});
    AttrInt(b.Node("Gather", {"x", "i"}, {"o"}), "axis", 1);
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    std::vector<float> want;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t k : {3, 0, 2}) {
        want.push_back(x[(n * 4 + k) * 2]);
        want.push_back(x[(n * 4 + k) * 2 + 1]);
      }
    }
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 3, 2});
    RequireNear(r->values[0], want);
  }
  SECTION("axis 0 of a table, indices cast from a runtime input") {
    std::vector<float> table = RandomFloats(5 * 2, 26);
    OnnxBuilder b;
    b.Input("ids", {}).Initializer("T", {5, 2}, table);
    AttrInt(b.Node("Cast", {"ids"}, {"i"}), "to", onnx::TensorProto::INT64);
    b.Node("Gather", {"T", "i"}, {"o"});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {{4.7f, -1.0f, 0.2f}});
    REQUIRE(r.ok());
    // Cast truncates toward zero: 4, -1 (the last row), 0.
    RequireNear(r->values[0],
                {table[8], table[9], table[8], table[9], table[0], table[1]});
  }
}

TEST_CASE("Shape -> Gather -> Unsqueeze -> Concat -> Reshape follows the batch",
          "[dense][ops]") {
  OnnxBuilder b;
  b.Input("x", {3, 4}).InitializerInt64("zero", {}, {0});
  b.InitializerInt64("minus1", {1}, {-1}).InitializerInt64("ax", {1}, {0});
  b.Node("Shape", {"x"}, {"s"});
  b.Node("Gather", {"s", "zero"}, {"n"});
  b.Node("Unsqueeze", {"n", "ax"}, {"n1"});
  AttrInt(b.Node("Concat", {"n1", "minus1"}, {"shape"}), "axis", 0);
  b.Node("Reshape", {"x", "shape"}, {"o"});
  b.Output("o");
  for (int64_t batch : {1, 5, 2}) {
    std::vector<float> x = RandomFloats(batch * 12, 27);
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 12});
    RequireNear(r->values[0], x);
  }
}

TEST_CASE("Slice, Expand and ConstantOfShape", "[dense][ops]") {
  const int64_t batch = 2;
  std::vector<float> x = RandomFloats(batch * 6, 28);
  SECTION("Slice [1:6:2] on the last axis, and a negative step") {
    OnnxBuilder b;
    b.Input("x", {6}).InitializerInt64("st", {1}, {1});
    b.InitializerInt64("en", {1}, {100}).InitializerInt64("ax", {1}, {-1});
    b.InitializerInt64("sp", {1}, {2}).InitializerInt64("st2", {1}, {-1});
    b.InitializerInt64("en2", {1}, {-100}).InitializerInt64("sp2", {1}, {-1});
    b.Node("Slice", {"x", "st", "en", "ax", "sp"}, {"o"});
    b.Node("Slice", {"x", "st2", "en2", "ax", "sp2"}, {"rev"});
    b.Output("o").Output("rev");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    std::vector<float> want, rev;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t j = 1; j < 6; j += 2) want.push_back(x[n * 6 + j]);
      for (int64_t j = 5; j >= 0; --j) rev.push_back(x[n * 6 + j]);
    }
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 3});
    RequireNear(r->values[0], want);
    RequireNear(r->values[1], rev);
  }
  SECTION("Expand (B, 1, 6) to (B, 2, 6), plus ConstantOfShape") {
    OnnxBuilder b;
    b.Input("x", {1, 6}).InitializerInt64("s", {3}, {1, 2, 1});
    b.Node("Expand", {"x", "s"}, {"e"});
    b.Node("Shape", {"e"}, {"es"});
    onnx::NodeProto& c = b.Node("ConstantOfShape", {"es"}, {"ones"});
    onnx::AttributeProto* v = c.add_attribute();
    v->set_name("value");
    v->set_type(onnx::AttributeProto::TENSOR);
    v->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    v->mutable_t()->add_dims(1);
    v->mutable_t()->add_float_data(1.5f);
    b.Node("Add", {"e", "ones"}, {"o"});
    b.Output("o");
    auto r = RunDense(b.Serialize(), batch, {x});
    REQUIRE(r.ok());
    std::vector<float> want;
    for (int64_t n = 0; n < batch; ++n) {
      for (int k = 0; k < 2; ++k) {
        for (int64_t j = 0; j < 6; ++j) want.push_back(x[n * 6 + j] + 1.5f);
      }
    }
    CHECK(r->shapes[0] == std::vector<int64_t>{batch, 2, 6});
    RequireNear(r->values[0], want);
  }
}

}  // namespace
}  // namespace strata::testing
