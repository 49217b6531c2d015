// DenseModel: a model version's dense network, loaded, with its input
// bindings resolved to positions in one list of the tables it reads. An
// Infer request carries exactly those tables, in that order.
//
// Immutable after Make; shared by every thread that serves the version.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/dense/dense_network.h"
#include "engine/model/model_manifest.h"

namespace strata {

class DenseModel {
 public:
  struct Input {
    DenseBinding::Kind kind = DenseBinding::Kind::kDense;
    std::vector<size_t> tables;  // into tables(); one for kTable, n stacked
    uint32_t dim = 0;            // of each bound table; F for kDense
  };

  // `spec` must bind `network`'s inputs (as BindDenseInputs made it);
  // `tables` are the manifest's.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DenseModel>> Make(
      std::shared_ptr<const DenseNetwork> network, DenseSpec spec,
      const std::vector<TableSpec>& tables, int64_t max_batch);

  const DenseNetwork& network() const { return *network_; }
  const std::shared_ptr<const DenseNetwork>& shared_network() const {
    return network_;
  }
  const DenseSpec& spec() const { return spec_; }
  // Every table a binding reads, once each, in the order of first binding.
  const std::vector<std::string>& tables() const { return tables_; }
  // One per graph input, in graph order.
  const std::vector<Input>& inputs() const { return inputs_; }
  uint32_t dense_features() const { return spec_.dense_features; }
  // The most samples one run takes (DenseNetworkOptions::max_batch).
  int64_t max_batch() const { return max_batch_; }

 private:
  DenseModel() = default;

  std::shared_ptr<const DenseNetwork> network_;
  DenseSpec spec_;
  std::vector<std::string> tables_;
  std::vector<Input> inputs_;
  int64_t max_batch_ = 0;
};

}  // namespace strata
