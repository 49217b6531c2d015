// Graph: the executor's IR of an ONNX graph. Values are numbered; each node
// holds its kernel and the numbers of its input and output values. Constant
// values (initializers, Constant nodes, and what the load-time passes fold)
// are HostTensors; graph inputs that are also initializers are constants.
//
// ParseGraph reads a serialized onnx.ModelProto (opset 13 semantics),
// checks that nodes are in topological order and that every input and
// output is float32 with a batch axis 0 and static other axes, and makes
// every node's kernel (refusing unsupported operators and attributes).
//
// Ownership: the graph owns its kernels and constants.
// Thread safety: immutable after the passes of DenseNetwork::Load.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/dense/dense_network.h"
#include "engine/model/dense/host_tensor.h"
#include "engine/model/dense/op_kernel.h"

namespace strata {

struct GraphNode {
  std::string name;
  std::string op_type;
  std::shared_ptr<const OpKernel> kernel;
  std::vector<int> inputs;  // value numbers; -1 for an absent optional input
  std::vector<int> outputs;
};

struct Graph {
  int64_t opset = 13;
  std::vector<std::string> value_names;
  // By value number: the value when it is a constant, else null.
  std::vector<std::shared_ptr<const HostTensor>> constants;
  std::vector<GraphNode> nodes;  // topological order
  std::vector<int> inputs;       // value numbers of the graph inputs
  std::vector<int> outputs;
  std::vector<TensorSignature> input_signatures;
  std::vector<TensorSignature> output_signatures;

  // What the load-time passes did, for Describe.
  int parsed_nodes = 0;
  int constant_nodes = 0;
  std::map<std::string, int> folded;  // op type -> nodes folded
  int fused_nodes = 0;                // nodes merged into another
  int removed_nodes = 0;              // dead after folding

  int AddValue(std::string name) {
    value_names.push_back(std::move(name));
    constants.push_back(nullptr);
    return static_cast<int>(value_names.size()) - 1;
  }
};

[[nodiscard]] absl::StatusOr<Graph> ParseGraph(absl::string_view onnx);

}  // namespace strata
