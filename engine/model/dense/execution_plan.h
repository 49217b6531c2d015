// Planning a graph for one batch size, on the host.
//
// InferGraph walks the nodes in order and fills every value's TensorMeta
// for `batch`: shapes from each kernel's Infer, and host values for what is
// known without the inputs' data (constants, Shape, and nodes whose inputs
// are all host-known, which it evaluates with the CPU backend). A node
// whose outputs are all host-known is not run.
//
// BuildPlan adds what a session needs to run that batch: the steps (nodes
// that run on the backend) and an arena layout: each runtime tensor gets an
// offset so that tensors alive at the same step never overlap (a greedy,
// largest-first placement over liveness intervals); views (Reshape, ...)
// share their source's bytes.
//
// Ownership: a plan borrows the graph (its nodes and constants), which must
// outlive it. Thread safety: immutable after BuildPlan.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/dense/onnx_graph.h"

namespace strata {

// Where a value's bytes are during a run.
enum class ValueHome : uint8_t {
  kNone,      // not needed by any step or output
  kArena,     // the session's arena at `offset`
  kConstant,  // a graph constant (the session's device copy, or in place)
  kHost,      // a host-known value of this plan (in place, or uploaded into
              // the arena at `offset` by Prepare when the backend is not
              // host memory)
};

struct ExecutionPlan {
  struct Step {
    const GraphNode* node = nullptr;
    size_t scratch_offset = 0;
    size_t scratch_bytes = 0;
  };

  int64_t batch = 0;
  std::vector<TensorMeta> metas;  // by value number
  std::vector<ValueHome> homes;
  std::vector<size_t> offsets;
  std::vector<Step> steps;
  std::vector<int> uploads;  // kHost values copied into the arena
  size_t arena_bytes = 0;
};

// Fills metas (one per value) for `batch`. `is_step`, when given, gets
// true for nodes that run on the backend. Errors name the node.
[[nodiscard]] absl::Status InferGraph(const Graph& g, int64_t batch,
                                      std::vector<TensorMeta>* metas,
                                      std::vector<bool>* is_step);

[[nodiscard]] absl::StatusOr<std::unique_ptr<ExecutionPlan>> BuildPlan(
    const Graph& g, int64_t batch, bool host_memory);

}  // namespace strata
