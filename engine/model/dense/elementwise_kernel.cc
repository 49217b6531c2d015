#include "engine/model/dense/elementwise_kernel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {
namespace {

// The most inputs one program reads (the CPU backend's bound).
constexpr int kMaxProgramInputs = kMaxRank + 1;

struct OpEntry {
  absl::string_view op_type;
  ElementwiseOp op;
};
constexpr OpEntry kOps[] = {
    {"Add", ElementwiseOp::kAdd},
    {"Sub", ElementwiseOp::kSub},
    {"Mul", ElementwiseOp::kMul},
    {"Div", ElementwiseOp::kDiv},
    {"Pow", ElementwiseOp::kPow},
    {"Max", ElementwiseOp::kMax},
    {"Min", ElementwiseOp::kMin},
    {"Relu", ElementwiseOp::kRelu},
    {"Sigmoid", ElementwiseOp::kSigmoid},
    {"Tanh", ElementwiseOp::kTanh},
    {"Exp", ElementwiseOp::kExp},
    {"Log", ElementwiseOp::kLog},
    {"Sqrt", ElementwiseOp::kSqrt},
    {"Neg", ElementwiseOp::kNeg},
    {"Abs", ElementwiseOp::kAbs},
    {"Reciprocal", ElementwiseOp::kReciprocal},
};

bool IntegerSafe(ElementwiseOp op) {
  return op == ElementwiseOp::kAdd || op == ElementwiseOp::kSub ||
         op == ElementwiseOp::kMul || op == ElementwiseOp::kDiv ||
         op == ElementwiseOp::kMax || op == ElementwiseOp::kMin ||
         op == ElementwiseOp::kNeg || op == ElementwiseOp::kAbs;
}

}  // namespace

bool ElementwiseKernel::Handles(absl::string_view op_type) {
  for (const OpEntry& e : kOps) {
    if (e.op_type == op_type) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<OpKernel>> ElementwiseKernel::Make(
    const onnx::NodeProto& node) {
  NodeAttrs attrs(node);
  absl::Status s = attrs.CheckKnown({});
  if (!s.ok()) return s;
  for (const OpEntry& e : kOps) {
    if (e.op_type != node.op_type()) continue;
    const int want = IsBinary(e.op) ? 2 : 1;
    if (node.input_size() != want) {
      return NodeError(node, absl::StrCat("takes ", want, " inputs, has ",
                                          node.input_size()));
    }
    ElementwiseStep step;
    step.op = e.op;
    step.operand = IsBinary(e.op) ? 0 : -1;
    return std::make_unique<ElementwiseKernel>(
        std::vector<std::string>{node.op_type()},
        std::vector<ElementwiseStep>{step}, want);
  }
  return NodeError(node, "not an element-wise operator");
}

bool AppendProgram(std::vector<ElementwiseStep>* steps, int* num_operands,
                   const ElementwiseKernel& next, int x_pos) {
  const int base = *num_operands;
  if (x_pos == 0) {
    for (ElementwiseStep st : next.steps()) {
      if (IsBinary(st.op) && st.operand >= 0) st.operand += base;
      steps->push_back(st);
    }
    *num_operands = base + next.num_inputs() - 1;
    return true;
  }
  // x is an operand of `next`: only a single binary step can be turned
  // around (acc = in0 OP x  ->  acc = x; acc = in0 OP acc, reversed).
  if (next.steps().size() != 1 || next.num_inputs() != 2 || x_pos != 1) {
    return false;
  }
  ElementwiseStep st = next.steps()[0];
  if (!IsBinary(st.op) || st.operand != 0) return false;
  st.operand = base;  // next's input 0
  st.reversed = !st.reversed;
  steps->push_back(st);
  *num_operands = base + 1;
  return true;
}

std::unique_ptr<ElementwiseKernel> ElementwiseKernel::Chain(
    const ElementwiseKernel& first, const ElementwiseKernel& next, int x_pos) {
  std::vector<ElementwiseStep> steps = first.steps_;
  int operands = first.num_inputs_ - 1;
  if (first.num_inputs_ + next.num_inputs_ - 1 > kMaxProgramInputs ||
      !AppendProgram(&steps, &operands, next, x_pos)) {
    return nullptr;
  }
  std::vector<std::string> names = first.names_;
  names.insert(names.end(), next.names_.begin(), next.names_.end());
  return std::make_unique<ElementwiseKernel>(std::move(names), std::move(steps),
                                             operands + 1);
}

absl::Status ElementwiseKernel::Infer(absl::Span<const TensorMeta* const> in,
                                      std::vector<TensorMeta>& out) const {
  if (static_cast<int>(in.size()) != num_inputs_) {
    return absl::InvalidArgumentError("wrong number of inputs");
  }
  std::vector<int64_t> shape;
  for (const TensorMeta* m : in) {
    if (m == nullptr) return absl::InvalidArgumentError("missing input");
    if (m->type != in[0]->type) {
      return absl::InvalidArgumentError("inputs of different element types");
    }
    absl::StatusOr<std::vector<int64_t>> b = BroadcastShapes(shape, m->shape);
    if (!b.ok()) return b.status();
    shape = *std::move(b);
  }
  if (in[0]->type == TensorType::kInt64) {
    for (const ElementwiseStep& st : steps_) {
      if (!IntegerSafe(st.op)) {
        return absl::InvalidArgumentError("operator not defined on int64");
      }
    }
  }
  absl::Status s = CheckRank(shape);
  if (!s.ok()) return s;
  out[0].type = in[0]->type;
  out[0].shape = std::move(shape);
  return absl::OkStatus();
}

absl::Status ElementwiseKernel::Run(TensorBackend& backend,
                                    absl::Span<const TensorRef> in,
                                    absl::Span<const TensorRef> out,
                                    void* scratch) const {
  const std::vector<int64_t>& shape = out[0].meta->shape;
  ElementwiseArgs args;
  args.type = out[0].meta->type;
  args.shape = ToDims(shape);
  args.base.data = in[0].data;
  BroadcastStrides(in[0].meta->shape, shape, args.base.strides);
  StridedInput operands[kMaxProgramInputs];
  for (size_t t = 1; t < in.size(); ++t) {
    operands[t - 1].data = in[t].data;
    BroadcastStrides(in[t].meta->shape, shape, operands[t - 1].strides);
  }
  args.operands = absl::MakeConstSpan(operands, in.size() - 1);
  args.steps = steps_;
  args.out = out[0].data;
  return backend.Elementwise(args);
}

std::string ElementwiseKernel::Kind() const {
  return absl::StrJoin(names_, "+");
}

}  // namespace strata
