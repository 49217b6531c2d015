#include "engine/model/dense/graph_passes.h"

#include <algorithm>

#include "engine/model/dense/elementwise_kernel.h"
#include "engine/model/dense/execution_plan.h"
#include "engine/model/dense/linear_kernel.h"

namespace strata {
namespace {

constexpr int64_t kProbeA = 2, kProbeB = 3;

void RemoveDead(Graph* g) {
  std::vector<int> uses(g->value_names.size(), 0);
  for (int v : g->outputs) ++uses[v];
  for (const GraphNode& n : g->nodes) {
    for (int v : n.inputs) {
      if (v >= 0) ++uses[v];
    }
  }
  // Walk backwards so a chain of dead nodes goes at once.
  std::vector<bool> keep(g->nodes.size(), true);
  for (size_t k = g->nodes.size(); k-- > 0;) {
    const GraphNode& n = g->nodes[k];
    bool used = false;
    for (int v : n.outputs) used = used || uses[v] > 0;
    if (used) continue;
    keep[k] = false;
    ++g->removed_nodes;
    for (int v : n.inputs) {
      if (v >= 0) --uses[v];
    }
  }
  std::vector<GraphNode> nodes;
  for (size_t k = 0; k < g->nodes.size(); ++k) {
    if (keep[k]) nodes.push_back(std::move(g->nodes[k]));
  }
  g->nodes = std::move(nodes);
  for (size_t v = 0; v < uses.size(); ++v) {
    if (uses[v] == 0 && g->constants[v] != nullptr) g->constants[v] = nullptr;
  }
}

}  // namespace

absl::Status FoldConstants(Graph* g) {
  std::vector<TensorMeta> a, b;
  absl::Status s = InferGraph(*g, kProbeA, &a, nullptr);
  if (!s.ok()) return s;
  s = InferGraph(*g, kProbeB, &b, nullptr);
  if (!s.ok()) return s;
  std::vector<bool> is_const(g->value_names.size(), false);
  for (size_t v = 0; v < is_const.size(); ++v) {
    is_const[v] = g->constants[v] != nullptr;
  }
  std::vector<GraphNode> kept;
  for (GraphNode& n : g->nodes) {
    bool known = true;
    for (int v : n.outputs) known = known && a[v].value && b[v].value;
    bool fold = false;
    if (known) {
      bool inputs_const = true;
      for (int v : n.inputs)
        inputs_const = inputs_const && (v < 0 || is_const[v]);
      // Shape of a tensor whose (selected) dims are static: its value is
      // the same at both batch sizes.
      bool shape_only = n.op_type == "Shape" && n.outputs.size() == 1 &&
                        a[n.outputs[0]].value->SameAs(*b[n.outputs[0]].value);
      fold = inputs_const || shape_only;
    }
    if (!fold) {
      kept.push_back(std::move(n));
      continue;
    }
    for (int v : n.outputs) {
      is_const[v] = true;
      g->constants[v] = a[v].value;
    }
    ++g->folded[n.op_type];
  }
  g->nodes = std::move(kept);
  RemoveDead(g);
  return absl::OkStatus();
}

absl::Status FoldTransposes(Graph* g) {
  std::vector<TensorMeta> a;
  absl::Status s = InferGraph(*g, kProbeA, &a, nullptr);
  if (!s.ok()) return s;
  const size_t nv = g->value_names.size();
  std::vector<int> uses(nv, 0), producer(nv, -1);
  for (int v : g->outputs) uses[v] += 2;  // never folded away
  for (size_t k = 0; k < g->nodes.size(); ++k) {
    for (int v : g->nodes[k].inputs) {
      if (v >= 0) ++uses[v];
    }
    for (int v : g->nodes[k].outputs) producer[v] = static_cast<int>(k);
  }
  bool changed = false;
  for (GraphNode& c : g->nodes) {
    const LinearKernel* linear = c.kernel->AsLinear();
    if (linear == nullptr || c.inputs.size() < 2) continue;
    const int x = c.inputs[1];
    if (x < 0 || uses[x] != 1 || producer[x] < 0) continue;
    const GraphNode& t = g->nodes[producer[x]];
    const int from = t.inputs.empty() ? -1 : t.inputs[0];
    if (from < 0 || !t.kernel->SwapsLastTwoAxes(a[from].shape.size())) continue;
    std::unique_ptr<LinearKernel> folded = linear->WithTransposedB();
    if (folded == nullptr) continue;
    c.inputs[1] = from;
    c.kernel = std::move(folded);
    ++g->fused_nodes;
    changed = true;
  }
  if (changed) RemoveDead(g);  // the Transposes nothing reads now
  return InferGraph(*g, kProbeA, &a, nullptr);
}

absl::Status FuseElementwise(Graph* g) {
  std::vector<TensorMeta> a, b;
  std::vector<bool> step_a, step_b;
  absl::Status s = InferGraph(*g, kProbeA, &a, &step_a);
  if (!s.ok()) return s;
  s = InferGraph(*g, kProbeB, &b, &step_b);
  if (!s.ok()) return s;
  const size_t nv = g->value_names.size();
  std::vector<int> uses(nv, 0), producer(nv, -1);
  for (int v : g->outputs) uses[v] += 2;  // never fused away
  for (size_t k = 0; k < g->nodes.size(); ++k) {
    for (int v : g->nodes[k].inputs) {
      if (v >= 0) ++uses[v];
    }
    for (int v : g->nodes[k].outputs) producer[v] = static_cast<int>(k);
  }
  std::vector<bool> removed(g->nodes.size(), false);
  for (size_t k = 0; k < g->nodes.size(); ++k) {
    GraphNode& c = g->nodes[k];
    const ElementwiseKernel* ck = c.kernel->AsElementwise();
    if (ck == nullptr || !step_a[k] || !step_b[k]) continue;
    for (size_t j = 0; j < c.inputs.size(); ++j) {
      const int x = c.inputs[j];
      if (x < 0 || uses[x] != 1 || producer[x] < 0) continue;
      const size_t pk = producer[x];
      GraphNode& p = g->nodes[pk];
      if (removed[pk] || !step_a[pk] || !step_b[pk] || p.outputs.size() != 1) {
        continue;
      }
      std::shared_ptr<const OpKernel> fused;
      if (const ElementwiseKernel* pe = p.kernel->AsElementwise()) {
        fused = ElementwiseKernel::Chain(*pe, *ck, static_cast<int>(j));
      } else if (const LinearKernel* pl = p.kernel->AsLinear()) {
        const int out = c.outputs[0];
        if (a[out].shape != a[x].shape || b[out].shape != b[x].shape) continue;
        const int other = c.inputs.size() == 2 ? c.inputs[1 - j] : -1;
        if (pl->CanTakeBias() && other >= 0 && ck->steps().size() == 1 &&
            ck->steps()[0].op == ElementwiseOp::kAdd &&
            a[other].shape.size() <= 2) {
          fused = pl->WithBias(c.op_type);
          // Inputs become A, B, bias.
          std::vector<int> inputs = p.inputs;
          inputs.push_back(other);
          c.inputs = std::move(inputs);
          c.kernel = std::move(fused);
          c.op_type = p.op_type;
          removed[pk] = true;
          ++g->fused_nodes;
          break;
        }
        fused = pl->WithEpilogue(*ck, static_cast<int>(j));
      }
      if (fused == nullptr) continue;
      std::vector<int> inputs = p.inputs;
      for (size_t t = 0; t < c.inputs.size(); ++t) {
        if (t != j) inputs.push_back(c.inputs[t]);
      }
      c.inputs = std::move(inputs);
      c.kernel = std::move(fused);
      if (p.kernel->AsLinear() != nullptr) c.op_type = p.op_type;
      removed[pk] = true;
      ++g->fused_nodes;
      break;
    }
  }
  std::vector<GraphNode> nodes;
  for (size_t k = 0; k < g->nodes.size(); ++k) {
    if (!removed[k]) nodes.push_back(std::move(g->nodes[k]));
  }
  g->nodes = std::move(nodes);
  // The fused graph must plan as before.
  return InferGraph(*g, kProbeA, &a, nullptr);
}

}  // namespace strata
