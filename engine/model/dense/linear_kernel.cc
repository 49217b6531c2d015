#include "engine/model/dense/linear_kernel.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {

absl::StatusOr<std::unique_ptr<OpKernel>> LinearKernel::Make(
    const onnx::NodeProto& node) {
  auto k = std::make_unique<LinearKernel>();
  NodeAttrs attrs(node);
  k->names_ = {node.op_type()};
  if (node.op_type() == "MatMul") {
    absl::Status s = attrs.CheckKnown({});
    if (!s.ok()) return s;
    if (node.input_size() != 2) return NodeError(node, "takes 2 inputs");
    k->mode_ = Mode::kMatMul;
    return k;
  }
  absl::Status s = attrs.CheckKnown({"alpha", "beta", "transA", "transB"});
  if (!s.ok()) return s;
  if (node.input_size() < 2 || node.input_size() > 3) {
    return NodeError(node, "takes 2 or 3 inputs");
  }
  absl::StatusOr<int64_t> ta = attrs.Int("transA", 0);
  absl::StatusOr<int64_t> tb = attrs.Int("transB", 0);
  absl::StatusOr<float> alpha = attrs.Float("alpha", 1.0f);
  absl::StatusOr<float> beta = attrs.Float("beta", 1.0f);
  for (const absl::Status& st :
       {ta.status(), tb.status(), alpha.status(), beta.status()}) {
    if (!st.ok()) return st;
  }
  if ((*ta != 0 && *ta != 1) || (*tb != 0 && *tb != 1)) {
    return NodeError(node, "transA and transB must be 0 or 1");
  }
  k->mode_ = Mode::kGemm;
  k->trans_a_ = *ta != 0;
  k->trans_b_ = *tb != 0;
  k->alpha_ = *alpha;
  k->beta_ = *beta;
  k->has_bias_ = node.input_size() == 3 && !node.input(2).empty();
  return k;
}

std::unique_ptr<LinearKernel> LinearKernel::WithBias(
    std::string add_name) const {
  auto k = std::make_unique<LinearKernel>(*this);
  k->has_bias_ = true;
  k->beta_ = 1.0f;
  k->names_.push_back(std::move(add_name));
  return k;
}

std::unique_ptr<LinearKernel> LinearKernel::WithTransposedB() const {
  if (mode_ != Mode::kMatMul || trans_b_ || has_bias_ || !epilogue_.empty()) {
    return nullptr;
  }
  auto k = std::make_unique<LinearKernel>(*this);
  k->trans_b_ = true;
  k->names_.insert(k->names_.begin(), "Transpose");
  return k;
}

std::unique_ptr<LinearKernel> LinearKernel::WithEpilogue(
    const ElementwiseKernel& next, int x_pos) const {
  auto k = std::make_unique<LinearKernel>(*this);
  if (epilogue_operands_ + next.num_inputs() - 1 > kMaxRank ||
      !AppendProgram(&k->epilogue_, &k->epilogue_operands_, next, x_pos)) {
    return nullptr;
  }
  k->names_.insert(k->names_.end(), next.names().begin(), next.names().end());
  return k;
}

absl::Status LinearKernel::Infer(absl::Span<const TensorMeta* const> in,
                                 std::vector<TensorMeta>& out) const {
  if (static_cast<int>(in.size()) != num_inputs()) {
    return absl::InvalidArgumentError("wrong number of inputs");
  }
  for (const TensorMeta* m : in) {
    if (m == nullptr || m->type != TensorType::kFloat32) {
      return absl::InvalidArgumentError("inputs must be float32 tensors");
    }
  }
  const std::vector<int64_t>& a = in[0]->shape;
  const std::vector<int64_t>& b = in[1]->shape;
  std::vector<int64_t> shape;
  if (mode_ == Mode::kGemm) {
    if (a.size() != 2 || b.size() != 2) {
      return absl::InvalidArgumentError("Gemm inputs must be 2-D");
    }
    const int64_t m = trans_a_ ? a[1] : a[0], k = trans_a_ ? a[0] : a[1];
    const int64_t kb = trans_b_ ? b[1] : b[0], n = trans_b_ ? b[0] : b[1];
    if (k != kb) {
      return absl::InvalidArgumentError(
          absl::StrCat("Gemm: inner dims differ (", k, " vs ", kb, ")"));
    }
    shape = {m, n};
    if (has_bias_) {
      absl::StatusOr<std::vector<int64_t>> bc =
          BroadcastShapes(in[2]->shape, shape);
      if (!bc.ok() || *bc != shape || in[2]->shape.size() > 2) {
        return absl::InvalidArgumentError(
            "Gemm: C does not broadcast to (M, N)");
      }
    }
  } else {
    if (a.empty() || b.empty()) {
      return absl::InvalidArgumentError("MatMul inputs must have rank >= 1");
    }
    std::vector<int64_t> a2 = a, b2 = b;
    if (a2.size() == 1) a2.insert(a2.begin(), 1);
    if (trans_b_) {
      if (b2.size() < 2) {
        return absl::InvalidArgumentError("MatMul: transposed B needs rank 2");
      }
      std::swap(b2[b2.size() - 1], b2[b2.size() - 2]);
    }
    if (b2.size() == 1) b2.push_back(1);
    const int64_t k = a2.back(), kb = b2[b2.size() - 2];
    if (k != kb) {
      return absl::InvalidArgumentError(
          absl::StrCat("MatMul: inner dims differ (", k, " vs ", kb, ")"));
    }
    absl::StatusOr<std::vector<int64_t>> batch =
        BroadcastShapes(std::vector<int64_t>(a2.begin(), a2.end() - 2),
                        std::vector<int64_t>(b2.begin(), b2.end() - 2));
    if (!batch.ok()) return batch.status();
    shape = *batch;
    if (a.size() > 1) shape.push_back(a2[a2.size() - 2]);
    if (b.size() > 1) shape.push_back(b2.back());
  }
  absl::Status s = CheckRank(shape);
  if (!s.ok()) return s;
  for (size_t t = in.size() - epilogue_operands_; t < in.size(); ++t) {
    absl::StatusOr<std::vector<int64_t>> bc =
        BroadcastShapes(in[t]->shape, shape);
    if (!bc.ok() || *bc != shape) {
      return absl::InvalidArgumentError(
          "fused epilogue operand does not broadcast to the product");
    }
  }
  out[0].type = TensorType::kFloat32;
  out[0].shape = std::move(shape);
  return absl::OkStatus();
}

absl::Status LinearKernel::Run(TensorBackend& backend,
                               absl::Span<const TensorRef> in,
                               absl::Span<const TensorRef> out,
                               void* scratch) const {
  const std::vector<int64_t>& shape = out[0].meta->shape;
  GemmArgs g;
  g.trans_a = trans_a_;
  g.trans_b = trans_b_;
  g.alpha = alpha_;
  g.beta = has_bias_ ? beta_ : 0.0f;  // no C: nothing to add
  StridedInput operands[kMaxRank];
  const size_t first_op = in.size() - epilogue_operands_;
  for (size_t t = first_op; t < in.size(); ++t) {
    operands[t - first_op].data = in[t].data;
    BroadcastStrides(in[t].meta->shape, shape, operands[t - first_op].strides);
  }
  g.epilogue = epilogue_;
  g.epilogue_operands = absl::MakeConstSpan(operands, epilogue_operands_);
  g.epilogue_shape = ToDims(shape);
  g.c = static_cast<float*>(out[0].data);
  if (mode_ == Mode::kMatMul) return RunMatMul(backend, in, out[0], g);

  const std::vector<int64_t>& a = in[0].meta->shape;
  const std::vector<int64_t>& b = in[1].meta->shape;
  g.m = shape[0];
  g.n = shape[1];
  g.k = trans_a_ ? a[0] : a[1];
  g.a = static_cast<const float*>(in[0].data);
  g.lda = a[1];
  g.b = static_cast<const float*>(in[1].data);
  g.ldb = b[1];
  g.ldc = g.n;
  if (has_bias_) {
    int64_t strides[kMaxRank];
    BroadcastStrides(in[2].meta->shape, shape, strides);
    g.bias = static_cast<const float*>(in[2].data);
    g.bias_stride_m = strides[0];
    g.bias_stride_n = strides[1];
  }
  return backend.Gemm(g);
}

absl::Status LinearKernel::RunMatMul(TensorBackend& backend,
                                     absl::Span<const TensorRef> in,
                                     const TensorRef& out, GemmArgs& g) const {
  std::vector<int64_t> a = in[0].meta->shape, b = in[1].meta->shape;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  g.m = a[a.size() - 2];
  g.k = a.back();
  // B is (..., k, n), or (..., n, k) read transposed.
  g.n = trans_b_ ? b[b.size() - 2] : b.back();
  g.trans_b = trans_b_;
  g.lda = g.k;
  g.ldb = trans_b_ ? g.k : g.n;
  g.ldc = g.n;
  const auto* pa = static_cast<const float*>(in[0].data);
  const auto* pb = static_cast<const float*>(in[1].data);
  std::vector<int64_t> ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  std::vector<int64_t> batch = *BroadcastShapes(ab, bb);
  if (NumElements(bb) == 1) {
    // One product: A's batch dims fold into M.
    g.m *= NumElements(ab);
    g.a = pa;
    g.b = pb;
    return backend.Gemm(g);
  }
  if (batch.empty()) batch.push_back(1);
  const int r = static_cast<int>(batch.size());
  int64_t sa[kMaxRank], sb[kMaxRank];
  BroadcastStrides(ab, batch, sa);
  BroadcastStrides(bb, batch, sb);
  for (int i = 0; i < r; ++i) {
    sa[i] *= g.m * g.k;
    sb[i] *= g.k * g.n;
  }
  g.batch = batch[r - 1];
  g.stride_a = sa[r - 1];
  g.stride_b = sb[r - 1];
  g.stride_c = g.m * g.n;
  const int64_t calls = NumElements(batch) / g.batch;
  GemmArgs epi = g;
  if (calls > 1) g.epilogue = {};
  float* c = g.c;
  int64_t idx[kMaxRank] = {};
  for (int64_t call = 0; call < calls; ++call) {
    int64_t oa = 0, ob = 0;
    for (int i = 0; i < r - 1; ++i) {
      oa += idx[i] * sa[i];
      ob += idx[i] * sb[i];
    }
    g.a = pa + oa;
    g.b = pb + ob;
    g.c = c + call * g.batch * g.stride_c;
    absl::Status s = backend.Gemm(g);
    if (!s.ok()) return s;
    for (int i = r - 2; i >= 0; --i) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  if (calls > 1 && !epi.epilogue.empty()) {
    ElementwiseArgs e;
    e.shape = epi.epilogue_shape;
    e.base.data = c;
    int64_t s = 1;
    for (int k = e.shape.rank - 1; k >= 0; --k) {
      e.base.strides[k] = s;
      s *= e.shape.d[k];
    }
    e.operands = epi.epilogue_operands;
    e.steps = epi.epilogue;
    e.out = c;
    return backend.Elementwise(e);
  }
  return absl::OkStatus();
}

std::string LinearKernel::Kind() const { return absl::StrJoin(names_, "+"); }

}  // namespace strata
