// Reading onnx protobuf messages: tensors (initializers, Constant values)
// into HostTensors, and a node's attributes with type checks, so every
// kernel refuses a wrong or unknown attribute the same way (INVALID_ARGUMENT
// naming the node).
//
// Ownership: NodeAttrs borrows the node, which must outlive it.
// Thread safety: none needed (used at Load only, on one thread).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/dense/host_tensor.h"
#include "onnx/onnx.pb.h"

namespace strata {

// float32 and int64 tensors (int32 and bool are widened to int64, double
// narrowed to float); raw_data or the typed fields. External data is
// refused.
[[nodiscard]] absl::StatusOr<HostTensor> TensorFromProto(
    const onnx::TensorProto& t);

class NodeAttrs {
 public:
  explicit NodeAttrs(const onnx::NodeProto& node) : node_(node) {}

  // Refuses attributes outside `known`.
  [[nodiscard]] absl::Status CheckKnown(
      std::initializer_list<absl::string_view> known) const;

  [[nodiscard]] absl::StatusOr<int64_t> Int(absl::string_view name,
                                            int64_t def) const;
  [[nodiscard]] absl::StatusOr<float> Float(absl::string_view name,
                                            float def) const;
  // nullopt when absent.
  [[nodiscard]] absl::StatusOr<std::optional<std::vector<int64_t>>> Ints(
      absl::string_view name) const;
  [[nodiscard]] absl::StatusOr<std::optional<HostTensor>> Tensor(
      absl::string_view name) const;

 private:
  const onnx::AttributeProto* Find(absl::string_view name) const;
  absl::Status WrongType(const onnx::AttributeProto& a,
                         absl::string_view want) const;

  const onnx::NodeProto& node_;
};

}  // namespace strata
