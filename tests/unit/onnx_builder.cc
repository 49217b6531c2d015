#include "tests/unit/onnx_builder.h"

#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"

namespace strata::testing {

OnnxBuilder::OnnxBuilder(int64_t opset) {
  model_.set_ir_version(8);
  onnx::OperatorSetIdProto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

OnnxBuilder& OnnxBuilder::Input(const std::string& name,
                                std::vector<int64_t> dims, int32_t elem_type) {
  onnx::ValueInfoProto* v = model_.mutable_graph()->add_input();
  v->set_name(name);
  onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : dims) {
    if (d < 0) {
      s->add_dim()->set_dim_param("D");
    } else {
      s->add_dim()->set_dim_value(d);
    }
  }
  return *this;
}

OnnxBuilder& OnnxBuilder::Output(const std::string& name) {
  onnx::ValueInfoProto* v = model_.mutable_graph()->add_output();
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
  return *this;
}

OnnxBuilder& OnnxBuilder::Initializer(const std::string& name,
                                      std::vector<int64_t> shape,
                                      const std::vector<float>& values,
                                      bool raw) {
  onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) t->add_dims(d);
  if (raw) {
    std::string bytes(values.size() * sizeof(float), '\0');
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    t->set_raw_data(bytes);
  } else {
    for (float f : values) t->add_float_data(f);
  }
  return *this;
}

OnnxBuilder& OnnxBuilder::InitializerInt64(const std::string& name,
                                           std::vector<int64_t> shape,
                                           const std::vector<int64_t>& values) {
  onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : shape) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
  return *this;
}

onnx::NodeProto& OnnxBuilder::Node(const std::string& op_type,
                                   std::vector<std::string> inputs,
                                   std::vector<std::string> outputs) {
  onnx::NodeProto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op_type);
  n->set_name(absl::StrCat(op_type, "_", nodes_++));
  for (const std::string& i : inputs) n->add_input(i);
  for (const std::string& o : outputs) n->add_output(o);
  return *n;
}

std::string OnnxBuilder::Serialize() const {
  std::string s;
  model_.SerializeToString(&s);
  return s;
}

void AttrInt(onnx::NodeProto& n, const std::string& name, int64_t v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void AttrFloat(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void AttrInts(onnx::NodeProto& n, const std::string& name,
              const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::vector<float> RandomFloats(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& f : v) f = dist(rng);
  return v;
}

absl::StatusOr<DenseResult> RunDense(
    const std::string& onnx, int64_t batch,
    const std::vector<std::vector<float>>& inputs) {
  absl::StatusOr<std::unique_ptr<DenseNetwork>> net = DenseNetwork::Load(onnx);
  if (!net.ok()) return net.status();
  std::unique_ptr<DenseSession> session = (*net)->NewSession();
  absl::Status s = session->Prepare(batch);
  if (!s.ok()) return s;
  for (size_t i = 0; i < inputs.size(); ++i) {
    absl::Span<float> in = session->input(i);
    if (in.size() != inputs[i].size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, " holds ", in.size(), " floats, given ",
                       inputs[i].size()));
    }
    std::copy(inputs[i].begin(), inputs[i].end(), in.begin());
  }
  s = session->Run();
  if (!s.ok()) return s;
  DenseResult r;
  for (size_t j = 0; j < (*net)->outputs().size(); ++j) {
    const DenseSession::Output& o = session->output(j);
    r.shapes.push_back(o.shape);
    r.values.emplace_back(o.values.begin(), o.values.end());
  }
  return r;
}

}  // namespace strata::testing
