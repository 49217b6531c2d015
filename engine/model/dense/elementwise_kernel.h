// ElementwiseKernel: a program of element-wise steps with numpy broadcasting
// (see ElementwiseArgs in tensor_backend.h). A single ONNX node (Add, Relu,
// ...) is a one-step program; the fusion pass chains adjacent nodes into
// one program that makes one pass over the data, and appends programs to a
// matrix product as its epilogue (LinearKernel).
//
// Inputs: input 0 is the accumulator's initial value, input t+1 is operand
// t of the steps.
//
// Thread safety: immutable after construction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/model/dense/op_kernel.h"

namespace strata {

// Appends `next`'s program to the program `steps` (which has `*num_operands`
// operands) where `next`'s input `x_pos` is the current accumulator; `next`'s
// other inputs become new operands, in order. False (nothing changed) when
// the chain cannot be expressed (x_pos > 0 on a multi-step program).
bool AppendProgram(std::vector<ElementwiseStep>* steps, int* num_operands,
                   const ElementwiseKernel& next, int x_pos);

class ElementwiseKernel final : public OpKernel {
 public:
  ElementwiseKernel(std::vector<std::string> names,
                    std::vector<ElementwiseStep> steps, int num_inputs)
      : names_(std::move(names)),
        steps_(std::move(steps)),
        num_inputs_(num_inputs) {}

  // Add, Sub, Mul, Div, Pow, Max, Min (two inputs), Relu, Sigmoid, Tanh,
  // Exp, Log, Sqrt, Neg, Abs, Reciprocal; nullptr for other op types.
  static absl::StatusOr<std::unique_ptr<OpKernel>> Make(
      const onnx::NodeProto& node);
  static bool Handles(absl::string_view op_type);

  // `first` then `next` (whose input x_pos is `first`'s output): inputs are
  // first's, then next's other inputs. nullptr when not expressible.
  static std::unique_ptr<ElementwiseKernel> Chain(
      const ElementwiseKernel& first, const ElementwiseKernel& next, int x_pos);

  const std::vector<ElementwiseStep>& steps() const { return steps_; }
  const std::vector<std::string>& names() const { return names_; }
  int num_inputs() const { return num_inputs_; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override;
  absl::Status Run(TensorBackend& backend, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out,
                   void* scratch) const override;
  std::string Kind() const override;
  const ElementwiseKernel* AsElementwise() const override { return this; }

 private:
  std::vector<std::string> names_;  // op types of the fused nodes
  std::vector<ElementwiseStep> steps_;
  int num_inputs_;
};

}  // namespace strata
