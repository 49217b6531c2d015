#include "engine/model/dense/execution_plan.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/cpu_backend.h"

namespace strata {
namespace {

constexpr size_t kAlign = 64;

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

absl::Status WithNode(const GraphNode& n, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("node '", n.name, "' (", n.op_type,
                                             "): ", s.message()));
}

// Evaluates `n` on the host: every input is host-known.
absl::Status EvaluateOnHost(const GraphNode& n, std::vector<TensorMeta>& metas,
                            TensorBackend& cpu) {
  std::vector<TensorRef> in, out;
  for (int v : n.inputs) {
    TensorRef r;
    if (v >= 0) {
      r.data = const_cast<void*>(metas[v].value->data());
      r.meta = &metas[v];
    }
    in.push_back(r);
  }
  std::vector<std::shared_ptr<HostTensor>> values;
  for (int v : n.outputs) {
    auto t = std::make_shared<HostTensor>(metas[v].type, metas[v].shape);
    out.push_back(TensorRef{t->data(), &metas[v]});
    values.push_back(std::move(t));
  }
  if (n.kernel->IsView()) {
    std::memcpy(values[0]->data(), in[0].data, values[0]->bytes());
  } else {
    const size_t scratch_bytes = n.kernel->ScratchBytes(
        [&] {
          std::vector<const TensorMeta*> m;
          for (int v : n.inputs) m.push_back(v >= 0 ? &metas[v] : nullptr);
          return m;
        }(),
        [&] {
          std::vector<TensorMeta> o;
          for (int v : n.outputs) o.push_back(metas[v]);
          return o;
        }());
    std::vector<int64_t> scratch((scratch_bytes + 7) / 8);
    absl::Status s = n.kernel->Run(cpu, in, out, scratch.data());
    if (!s.ok()) return s;
  }
  for (size_t j = 0; j < n.outputs.size(); ++j) {
    metas[n.outputs[j]].value = std::move(values[j]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InferGraph(const Graph& g, int64_t batch,
                        std::vector<TensorMeta>* metas,
                        std::vector<bool>* is_step) {
  metas->assign(g.value_names.size(), TensorMeta{});
  for (size_t v = 0; v < g.constants.size(); ++v) {
    if (g.constants[v] != nullptr) {
      (*metas)[v] = TensorMeta{g.constants[v]->type, g.constants[v]->shape,
                               g.constants[v]};
    }
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    TensorMeta& m = (*metas)[g.inputs[i]];
    m.type = TensorType::kFloat32;
    m.shape = g.input_signatures[i].dims;
    m.shape[0] = batch;
    absl::Status s = CheckShape(
        m.shape, absl::StrCat("graph input '", g.input_signatures[i].name,
                              "' at batch ", batch));
    if (!s.ok()) return s;
  }
  if (is_step != nullptr) is_step->assign(g.nodes.size(), false);
  std::unique_ptr<TensorBackend> cpu;
  std::vector<const TensorMeta*> in;
  std::vector<TensorMeta> out;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const GraphNode& n = g.nodes[k];
    // Every supported operator's first input is required (kernels read its
    // shape first); only later inputs may be absent ("").
    if (n.inputs.empty() || n.inputs[0] < 0) {
      return WithNode(n, absl::InvalidArgumentError("input 0 is missing"));
    }
    in.clear();
    bool all_known = true;
    for (int v : n.inputs) {
      in.push_back(v >= 0 ? &(*metas)[v] : nullptr);
      if (v >= 0 && (*metas)[v].value == nullptr) all_known = false;
    }
    out.assign(n.outputs.size(), TensorMeta{});
    absl::Status s = n.kernel->Infer(in, out);
    if (!s.ok()) return WithNode(n, s);
    bool outputs_known = true;
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      s = CheckShape(out[j].shape, absl::StrCat("output ", j));
      if (!s.ok()) return WithNode(n, s);
      outputs_known = outputs_known && out[j].value != nullptr;
      (*metas)[n.outputs[j]] = std::move(out[j]);
    }
    if (outputs_known) continue;
    if (all_known) {
      if (cpu == nullptr) cpu = NewCpuBackend();
      s = EvaluateOnHost(n, *metas, *cpu);
      if (!s.ok()) return WithNode(n, s);
      continue;
    }
    if (is_step != nullptr) (*is_step)[k] = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ExecutionPlan>> BuildPlan(const Graph& g,
                                                         int64_t batch,
                                                         bool host_memory) {
  auto plan = std::make_unique<ExecutionPlan>();
  plan->batch = batch;
  std::vector<bool> is_step;
  absl::Status s = InferGraph(g, batch, &plan->metas, &is_step);
  if (!s.ok()) return s;
  const size_t nv = g.value_names.size();
  plan->homes.assign(nv, ValueHome::kNone);
  plan->offsets.assign(nv, 0);

  // Buffers: one per arena tensor (a view maps to its source's buffer),
  // plus one scratch buffer per step that asks.
  struct Buffer {
    size_t bytes = 0;
    int first = 0, last = 0;  // steps, inclusive
    size_t offset = 0;
  };
  constexpr int kEnd = std::numeric_limits<int>::max();
  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(nv, -1);
  auto new_buffer = [&](int v, int first, int last) {
    buffer_of[v] = static_cast<int>(buffers.size());
    const TensorMeta& m = plan->metas[v];
    buffers.push_back(
        Buffer{NumElements(m.shape) * ElementBytes(m.type), first, last, 0});
  };
  auto use = [&](int v, int step) {
    if (v < 0) return;
    if (plan->homes[v] == ValueHome::kNone) {
      const TensorMeta& m = plan->metas[v];
      if (g.constants[v] != nullptr) {
        plan->homes[v] = ValueHome::kConstant;
      } else if (m.value != nullptr) {
        plan->homes[v] = ValueHome::kHost;
        if (!host_memory) {
          new_buffer(v, -1, kEnd);
          plan->uploads.push_back(v);
        }
      }
    }
    if (buffer_of[v] >= 0) {
      Buffer& b = buffers[buffer_of[v]];
      b.last = std::max(b.last, step);
    }
  };
  for (int v : g.inputs) {
    plan->homes[v] = ValueHome::kArena;
    new_buffer(v, -1, -1);
  }
  std::vector<size_t> scratch_buffer;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (!is_step[k]) continue;
    const GraphNode& n = g.nodes[k];
    const int step = static_cast<int>(plan->steps.size());
    for (int v : n.inputs) use(v, step);
    const bool view = n.kernel->IsView();
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      const int v = n.outputs[j];
      plan->homes[v] = ValueHome::kArena;
      if (view && j == 0 && buffer_of[n.inputs[0]] >= 0) {
        buffer_of[v] = buffer_of[n.inputs[0]];
      } else {
        new_buffer(v, step, step);
      }
    }
    ExecutionPlan::Step st;
    st.node = &n;
    std::vector<const TensorMeta*> in;
    for (int v : n.inputs) in.push_back(v >= 0 ? &plan->metas[v] : nullptr);
    std::vector<TensorMeta> out;
    for (int v : n.outputs) out.push_back(plan->metas[v]);
    st.scratch_bytes = n.kernel->ScratchBytes(in, out);
    scratch_buffer.push_back(SIZE_MAX);
    if (st.scratch_bytes > 0) {
      scratch_buffer.back() = buffers.size();
      buffers.push_back(Buffer{st.scratch_bytes, step, step, 0});
    }
    plan->steps.push_back(st);
  }
  for (int v : g.outputs) use(v, kEnd);

  // Largest first, each at the lowest offset clear of every placed buffer
  // whose interval overlaps.
  std::vector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return buffers[a].bytes > buffers[b].bytes;
  });
  std::vector<size_t> placed;
  for (size_t i : order) {
    Buffer& b = buffers[i];
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed) {
      const Buffer& o = buffers[j];
      if (o.first <= b.last && b.first <= o.last) {
        busy.emplace_back(o.offset, o.offset + AlignUp(o.bytes));
      }
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [lo, hi] : busy) {
      if (offset + AlignUp(b.bytes) <= lo) break;
      offset = std::max(offset, hi);
    }
    b.offset = offset;
    plan->arena_bytes = std::max(plan->arena_bytes, offset + AlignUp(b.bytes));
    placed.push_back(i);
  }
  for (size_t v = 0; v < nv; ++v) {
    if (buffer_of[v] >= 0) plan->offsets[v] = buffers[buffer_of[v]].offset;
  }
  for (size_t k = 0; k < plan->steps.size(); ++k) {
    if (scratch_buffer[k] != SIZE_MAX) {
      plan->steps[k].scratch_offset = buffers[scratch_buffer[k]].offset;
    }
  }
  return plan;
}

}  // namespace strata
