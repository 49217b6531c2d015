#include "engine/model/dense/dense_network.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/execution_plan.h"
#include "engine/model/dense/graph_passes.h"
#include "engine/model/dense/network_impl.h"

namespace strata {

NetworkImpl::NetworkImpl(Graph graph, const DenseNetworkOptions& options)
    : graph_(std::move(graph)), options_(options) {
  const Graph& g = graph_;
  int folded = 0;
  std::string folded_kinds;
  for (const auto& [op, n] : g.folded) {
    folded += n;
    absl::StrAppend(&folded_kinds, folded_kinds.empty() ? "" : ", ", op, " ",
                    n);
  }
  std::map<std::string, int> kinds;
  for (const GraphNode& n : g.nodes) ++kinds[n.kernel->Kind()];
  describe_ = absl::StrCat("nodes: ", g.parsed_nodes, " parsed (",
                           g.constant_nodes, " Constant), ", g.nodes.size(),
                           " after folding and fusion\n");
  absl::StrAppend(&describe_, "folded: ", folded, " nodes into constants");
  if (!folded_kinds.empty())
    absl::StrAppend(&describe_, " (", folded_kinds, ")");
  absl::StrAppend(&describe_, "; ", g.removed_nodes, " dead nodes removed\n");
  absl::StrAppend(&describe_, "fused: ", g.fused_nodes,
                  " nodes into their neighbours\n");
  for (const auto& [kind, n] : kinds) {
    absl::StrAppend(&describe_, kind, ": ", n, "\n");
  }
}

int64_t NetworkImpl::input_sample_size(size_t i) const {
  const std::vector<int64_t>& dims = graph_.input_signatures[i].dims;
  int64_t n = 1;
  for (size_t k = 1; k < dims.size(); ++k) n *= dims[k];
  return n;
}

std::unique_ptr<DenseSession> NetworkImpl::NewSession() const {
  return NewDenseSession(*this);
}

absl::StatusOr<std::unique_ptr<DenseNetwork>> DenseNetwork::Load(
    std::string_view onnx, const DenseNetworkOptions& options) {
  if (options.max_batch < 1) {
    return absl::InvalidArgumentError("max_batch must be at least 1");
  }
  if (options.backend == DenseBackendKind::kCuda) {
    return absl::FailedPreconditionError(
        "the CUDA dense backend is not built into this engine yet");
  }
  absl::StatusOr<Graph> g =
      ParseGraph(absl::string_view(onnx.data(), onnx.size()));
  if (!g.ok()) return g.status();
  absl::Status s = FoldConstants(&*g);
  if (!s.ok()) return s;
  s = FoldTransposes(&*g);
  if (!s.ok()) return s;
  s = FuseElementwise(&*g);
  if (!s.ok()) return s;
  // Every output must be a float32 tensor with the batch on axis 0, for two
  // batch sizes: one alone is met by a graph whose axis 0 is that constant.
  for (const int64_t batch : {2, 3}) {
    std::vector<TensorMeta> metas;
    s = InferGraph(*g, batch, &metas, nullptr);
    if (!s.ok()) return s;
    for (size_t j = 0; j < g->outputs.size(); ++j) {
      const TensorMeta& m = metas[g->outputs[j]];
      const std::string& name = g->output_signatures[j].name;
      if (m.type != TensorType::kFloat32) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph output '", name, "' is not float32"));
      }
      if (m.shape.empty() || m.shape[0] != batch) {
        return absl::InvalidArgumentError(absl::StrCat(
            "graph output '", name, "' does not have the batch on axis 0"));
      }
    }
  }
  return std::unique_ptr<DenseNetwork>(
      std::make_unique<NetworkImpl>(*std::move(g), options));
}

}  // namespace strata
