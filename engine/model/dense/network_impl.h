// NetworkImpl: the DenseNetwork that Load returns: the graph after the
// load-time passes, plus its signatures and Describe text. Sessions
// (dense_session.cc) plan and run it.
//
// Ownership: owns the graph; sessions borrow the network.
// Thread safety: immutable after construction; share freely.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/model/dense/dense_network.h"
#include "engine/model/dense/onnx_graph.h"

namespace strata {

class NetworkImpl final : public DenseNetwork {
 public:
  NetworkImpl(Graph graph, const DenseNetworkOptions& options);

  const std::vector<TensorSignature>& inputs() const override {
    return graph_.input_signatures;
  }
  const std::vector<TensorSignature>& outputs() const override {
    return graph_.output_signatures;
  }
  int64_t input_sample_size(size_t i) const override;
  std::string Describe() const override { return describe_; }
  std::unique_ptr<DenseSession> NewSession() const override;

  const Graph& graph() const { return graph_; }
  const DenseNetworkOptions& options() const { return options_; }

 private:
  // Constant after construction.
  const Graph graph_;
  const DenseNetworkOptions options_;
  std::string describe_;
};

// dense_session.cc
std::unique_ptr<DenseSession> NewDenseSession(const NetworkImpl& network);

}  // namespace strata
