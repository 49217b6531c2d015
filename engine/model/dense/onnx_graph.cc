#include "engine/model/dense/onnx_graph.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/model/dense/onnx_proto_util.h"
#include "onnx/onnx.pb.h"

namespace strata {
namespace {

absl::StatusOr<HostTensor> ConstantValue(const onnx::NodeProto& node) {
  if (node.attribute_size() != 1) {
    return NodeError(node, "needs exactly one value attribute");
  }
  const onnx::AttributeProto& a = node.attribute(0);
  if (a.name() == "value") {
    absl::StatusOr<HostTensor> t = TensorFromProto(a.t());
    if (!t.ok()) return NodeError(node, t.status().message());
    return t;
  }
  if (a.name() == "value_float") {
    HostTensor t(TensorType::kFloat32, {});
    t.floats()[0] = a.f();
    return t;
  }
  if (a.name() == "value_floats") {
    HostTensor t(TensorType::kFloat32, {a.floats_size()});
    for (int i = 0; i < a.floats_size(); ++i) t.floats()[i] = a.floats(i);
    return t;
  }
  if (a.name() == "value_int") {
    HostTensor t(TensorType::kInt64, {});
    t.ints()[0] = a.i();
    return t;
  }
  if (a.name() == "value_ints") {
    HostTensor t(TensorType::kInt64, {a.ints_size()});
    for (int i = 0; i < a.ints_size(); ++i) t.ints()[i] = a.ints(i);
    return t;
  }
  return NodeError(node,
                   absl::StrCat("unsupported attribute '", a.name(), "'"));
}

// A graph input or output: float32, batch axis 0, static other axes (for
// inputs; an output's dims are informational).
absl::StatusOr<TensorSignature> Signature(const onnx::ValueInfoProto& v,
                                          bool input) {
  TensorSignature sig;
  sig.name = v.name();
  const char* what = input ? "graph input" : "graph output";
  if (!v.type().has_tensor_type()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", v.name(), "' is not a tensor"));
  }
  const onnx::TypeProto::Tensor& t = v.type().tensor_type();
  if (t.elem_type() != onnx::TensorProto::FLOAT) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", v.name(), "' has element type ", t.elem_type(),
                     "; only float32 is supported"));
  }
  if (!t.has_shape()) {
    if (input) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", v.name(), "' has no shape"));
    }
    return sig;
  }
  if (input && t.shape().dim_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", v.name(), "' has no batch axis (rank 0)"));
  }
  for (int i = 0; i < t.shape().dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension& d = t.shape().dim(i);
    if (i == 0) {
      sig.dims.push_back(-1);
      continue;
    }
    if (!d.has_dim_value() || d.dim_value() <= 0) {
      if (!input) {
        sig.dims.push_back(-1);
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", v.name(), "': axis ", i, " is dynamic (",
                       d.has_dim_param() ? d.dim_param() : "unknown",
                       "); only the batch axis 0 may be"));
    }
    sig.dims.push_back(d.dim_value());
  }
  if (input) {
    std::vector<int64_t> sample(sig.dims.begin() + 1, sig.dims.end());
    absl::Status s = CheckShape(
        sample, absl::StrCat(what, " '", v.name(), "' (one sample)"));
    if (!s.ok()) return s;
  }
  return sig;
}

}  // namespace

absl::StatusOr<Graph> ParseGraph(absl::string_view onnx) {
  onnx::ModelProto model;
  if (onnx.size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromArray(onnx.data(), static_cast<int>(onnx.size()))) {
    return absl::InvalidArgumentError(
        "cannot parse the ONNX model (not a serialized onnx.ModelProto)");
  }
  Graph g;
  for (const onnx::OperatorSetIdProto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();
  }
  const onnx::GraphProto& graph = model.graph();
  absl::flat_hash_map<std::string, int> ids;
  for (const onnx::TensorProto& t : graph.initializer()) {
    absl::StatusOr<HostTensor> h = TensorFromProto(t);
    if (!h.ok()) return h.status();
    const int id = g.AddValue(t.name());
    g.constants[id] = std::make_shared<HostTensor>(*std::move(h));
    ids[t.name()] = id;
  }
  for (const onnx::ValueInfoProto& v : graph.input()) {
    if (ids.contains(v.name())) continue;  // an initializer: a constant
    absl::StatusOr<TensorSignature> sig = Signature(v, true);
    if (!sig.ok()) return sig.status();
    const int id = g.AddValue(v.name());
    ids[v.name()] = id;
    g.inputs.push_back(id);
    g.input_signatures.push_back(*std::move(sig));
  }
  for (const onnx::NodeProto& n : graph.node()) {
    ++g.parsed_nodes;
    if (n.op_type() == "Constant" &&
        (n.domain().empty() || n.domain() == "ai.onnx")) {
      absl::StatusOr<HostTensor> value = ConstantValue(n);
      if (!value.ok()) return value.status();
      if (n.output_size() != 1) return NodeError(n, "needs one output");
      const int id = g.AddValue(n.output(0));
      g.constants[id] = std::make_shared<HostTensor>(*std::move(value));
      ids[n.output(0)] = id;
      ++g.constant_nodes;
      continue;
    }
    absl::StatusOr<std::unique_ptr<OpKernel>> kernel = MakeKernel(n, g.opset);
    if (!kernel.ok()) return kernel.status();
    // Every supported operator has exactly one output (kernels write out[0]).
    if (n.output_size() != 1 || n.output(0).empty()) {
      return NodeError(n, "needs exactly one named output");
    }
    GraphNode node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.kernel = std::move(*kernel);
    for (const std::string& in : n.input()) {
      if (in.empty()) {
        node.inputs.push_back(-1);
        continue;
      }
      auto it = ids.find(in);
      if (it == ids.end()) {
        return NodeError(
            n, absl::StrCat("input '", in, "' is not defined before the node"));
      }
      node.inputs.push_back(it->second);
    }
    for (const std::string& out : n.output()) {
      const int id = g.AddValue(out);
      ids[out] = id;
      node.outputs.push_back(id);
    }
    g.nodes.push_back(std::move(node));
  }
  for (const onnx::ValueInfoProto& v : graph.output()) {
    auto it = ids.find(v.name());
    if (it == ids.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", v.name(), "' is never produced"));
    }
    absl::StatusOr<TensorSignature> sig = Signature(v, false);
    if (!sig.ok()) return sig.status();
    g.outputs.push_back(it->second);
    g.output_signatures.push_back(*std::move(sig));
  }
  if (g.inputs.empty() || g.outputs.empty()) {
    return absl::InvalidArgumentError("the graph has no inputs or no outputs");
  }
  return g;
}

}  // namespace strata
