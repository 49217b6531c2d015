// OnnxBuilder: builds small onnx.ModelProto graphs for the dense executor's
// tests (nodes, initializers, inputs with a symbolic batch dim "N"), and
// RunDense, which loads a serialized model, runs one batch and returns the
// outputs.
//
// Ownership: the builder owns its ModelProto; Node returns a reference into
// it, valid until the next Node call.
// Thread safety: none (one test at a time).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/dense/dense_network.h"
#include "onnx/onnx.pb.h"

namespace strata::testing {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13);

  // A float32 graph input of shape (N, dims...).
  OnnxBuilder& Input(const std::string& name, std::vector<int64_t> dims,
                     int32_t elem_type = onnx::TensorProto::FLOAT);
  OnnxBuilder& Output(const std::string& name);
  // raw: store in raw_data, else in float_data.
  OnnxBuilder& Initializer(const std::string& name, std::vector<int64_t> shape,
                           const std::vector<float>& values, bool raw = true);
  OnnxBuilder& InitializerInt64(const std::string& name,
                                std::vector<int64_t> shape,
                                const std::vector<int64_t>& values);
  onnx::NodeProto& Node(const std::string& op_type,
                        std::vector<std::string> inputs,
                        std::vector<std::string> outputs);

  std::string Serialize() const;
  onnx::ModelProto& model() { return model_; }

 private:
  onnx::ModelProto model_;
  int nodes_ = 0;
};

void AttrInt(onnx::NodeProto& n, const std::string& name, int64_t v);
void AttrFloat(onnx::NodeProto& n, const std::string& name, float v);
void AttrInts(onnx::NodeProto& n, const std::string& name,
              const std::vector<int64_t>& v);

// `count` deterministic values in [-1, 1).
std::vector<float> RandomFloats(size_t count, uint32_t seed);

struct DenseResult {
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> values;
};
// Loads `onnx`, prepares `batch`, fills input i with inputs[i], runs.
absl::StatusOr<DenseResult> RunDense(
    const std::string& onnx, int64_t batch,
    const std::vector<std::vector<float>>& inputs);

}  // namespace strata::testing
