// LinearKernel: Gemm and MatMul (opset 13) as one TensorBackend::Gemm call
// (or one per outer batch index when batch dims broadcast unevenly), with
// the fusion pass's additions: a bias folded into Gemm's C (Gemm -> Add) and
// an element-wise epilogue run over the product in place (-> Relu, -> Add
// -> Sigmoid, ...).
//
// Inputs: A, B, then C when the kernel has a bias, then the epilogue's
// operands.
//
// Thread safety: immutable after construction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/model/dense/elementwise_kernel.h"
#include "engine/model/dense/op_kernel.h"

namespace strata {

class LinearKernel final : public OpKernel {
 public:
  enum class Mode : uint8_t { kGemm, kMatMul };

  static absl::StatusOr<std::unique_ptr<OpKernel>> Make(
      const onnx::NodeProto& node);

  // Gemm without C, then Add(x, bias): bias becomes C with beta 1.
  bool CanTakeBias() const {
    return mode_ == Mode::kGemm && !has_bias_ && epilogue_.empty();
  }
  std::unique_ptr<LinearKernel> WithBias(std::string add_name) const;
  // MatMul reading B transposed: B's input is then the Transpose's input
  // (..., n, k). Null when not a plain MatMul.
  std::unique_ptr<LinearKernel> WithTransposedB() const;
  // This product followed by `next` (its input x_pos is the product); null
  // when not expressible.
  std::unique_ptr<LinearKernel> WithEpilogue(const ElementwiseKernel& next,
                                             int x_pos) const;

  int num_inputs() const {
    return 2 + (has_bias_ ? 1 : 0) + epilogue_operands_;
  }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override;
  absl::Status Run(TensorBackend& backend, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out,
                   void* scratch) const override;
  std::string Kind() const override;
  const LinearKernel* AsLinear() const override { return this; }

 private:
  absl::Status RunMatMul(TensorBackend& backend, absl::Span<const TensorRef> in,
                         const TensorRef& out, GemmArgs& g) const;

  Mode mode_ = Mode::kGemm;
  bool trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.0f, beta_ = 1.0f;
  bool has_bias_ = false;
  std::vector<ElementwiseStep> epilogue_;
  int epilogue_operands_ = 0;
  std::vector<std::string> names_;  // Gemm/MatMul then fused op types
};

}  // namespace strata
