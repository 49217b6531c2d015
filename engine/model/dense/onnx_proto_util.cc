#include "engine/model/dense/onnx_proto_util.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/op_kernel.h"

namespace strata {
namespace {

template <typename T>
absl::Status FromRaw(const std::string& raw, int64_t n, absl::string_view name,
                     std::vector<T>* out) {
  if (static_cast<int64_t>(raw.size()) != n * static_cast<int64_t>(sizeof(T))) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': raw_data holds ", raw.size(),
                     " bytes, its shape needs ", n * sizeof(T)));
  }
  out->resize(n);
  if (n > 0) std::memcpy(out->data(), raw.data(), raw.size());
  return absl::OkStatus();
}

template <typename T, typename Field>
absl::Status FromField(const Field& f, int64_t n, absl::string_view name,
                       std::vector<T>* out) {
  if (f.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", name, "': ", f.size(), " values, its shape needs ", n));
  }
  out->assign(f.begin(), f.end());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostTensor> TensorFromProto(const onnx::TensorProto& t) {
  const std::string& name = t.name();
  if (t.data_location() == onnx::TensorProto::EXTERNAL ||
      t.external_data_size() > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': external data is not supported"));
  }
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  absl::Status shape_ok =
      CheckShape(shape, absl::StrCat("tensor '", name, "'"));
  if (!shape_ok.ok()) return shape_ok;
  const int64_t n = NumElements(shape);
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      HostTensor h(TensorType::kFloat32, shape);
      std::vector<float> v;
      absl::Status s = raw ? FromRaw(t.raw_data(), n, name, &v)
                           : FromField(t.float_data(), n, name, &v);
      if (!s.ok()) return s;
      if (n > 0) std::memcpy(h.floats(), v.data(), n * sizeof(float));
      return h;
    }
    case onnx::TensorProto::DOUBLE: {
      HostTensor h(TensorType::kFloat32, shape);
      std::vector<double> v;
      absl::Status s = raw ? FromRaw(t.raw_data(), n, name, &v)
                           : FromField(t.double_data(), n, name, &v);
      if (!s.ok()) return s;
      for (int64_t i = 0; i < n; ++i) h.floats()[i] = static_cast<float>(v[i]);
      return h;
    }
    case onnx::TensorProto::INT64: {
      HostTensor h(TensorType::kInt64, shape);
      std::vector<int64_t> v;
      absl::Status s = raw ? FromRaw(t.raw_data(), n, name, &v)
                           : FromField(t.int64_data(), n, name, &v);
      if (!s.ok()) return s;
      if (n > 0) std::memcpy(h.ints(), v.data(), n * sizeof(int64_t));
      return h;
    }
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL: {
      HostTensor h(TensorType::kInt64, shape);
      if (raw) {
        if (t.data_type() == onnx::TensorProto::BOOL) {
          std::vector<uint8_t> v;
          absl::Status s = FromRaw(t.raw_data(), n, name, &v);
          if (!s.ok()) return s;
          for (int64_t i = 0; i < n; ++i) h.ints()[i] = v[i] != 0;
        } else {
          std::vector<int32_t> v;
          absl::Status s = FromRaw(t.raw_data(), n, name, &v);
          if (!s.ok()) return s;
          for (int64_t i = 0; i < n; ++i) h.ints()[i] = v[i];
        }
      } else {
        std::vector<int64_t> v;
        absl::Status s = FromField(t.int32_data(), n, name, &v);
        if (!s.ok()) return s;
        for (int64_t i = 0; i < n; ++i) h.ints()[i] = v[i];
      }
      return h;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': element type ", t.data_type(),
                       " is not supported (float32 and int64 only)"));
  }
}

const onnx::AttributeProto* NodeAttrs::Find(absl::string_view name) const {
  for (const onnx::AttributeProto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

absl::Status NodeAttrs::WrongType(const onnx::AttributeProto& a,
                                  absl::string_view want) const {
  return NodeError(node_,
                   absl::StrCat("attribute '", a.name(), "' must be ", want));
}

absl::Status NodeAttrs::CheckKnown(
    std::initializer_list<absl::string_view> known) const {
  for (const onnx::AttributeProto& a : node_.attribute()) {
    bool ok = false;
    for (absl::string_view k : known) ok = ok || a.name() == k;
    if (!ok) {
      return NodeError(node_,
                       absl::StrCat("unsupported attribute '", a.name(), "'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> NodeAttrs::Int(absl::string_view name,
                                       int64_t def) const {
  const onnx::AttributeProto* a = Find(name);
  if (a == nullptr) return def;
  if (a->type() != onnx::AttributeProto::INT && !a->has_i()) {
    return WrongType(*a, "an int");
  }
  return a->i();
}

absl::StatusOr<float> NodeAttrs::Float(absl::string_view name,
                                       float def) const {
  const onnx::AttributeProto* a = Find(name);
  if (a == nullptr) return def;
  if (a->type() != onnx::AttributeProto::FLOAT && !a->has_f()) {
    return WrongType(*a, "a float");
  }
  return a->f();
}

absl::StatusOr<std::optional<std::vector<int64_t>>> NodeAttrs::Ints(
    absl::string_view name) const {
  const onnx::AttributeProto* a = Find(name);
  if (a == nullptr) return std::optional<std::vector<int64_t>>();
  if (a->type() != onnx::AttributeProto::INTS &&
      a->type() != onnx::AttributeProto::UNDEFINED) {
    return WrongType(*a, "a list of ints");
  }
  return std::optional<std::vector<int64_t>>(
      std::vector<int64_t>(a->ints().begin(), a->ints().end()));
}

absl::StatusOr<std::optional<HostTensor>> NodeAttrs::Tensor(
    absl::string_view name) const {
  const onnx::AttributeProto* a = Find(name);
  if (a == nullptr) return std::optional<HostTensor>();
  if (!a->has_t()) return WrongType(*a, "a tensor");
  absl::StatusOr<HostTensor> t = TensorFromProto(a->t());
  if (!t.ok()) return NodeError(node_, t.status().message());
  return std::optional<HostTensor>(*std::move(t));
}

}  // namespace strata
