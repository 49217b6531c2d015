#include "engine/model/dense_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata {

absl::StatusOr<std::unique_ptr<DenseModel>> DenseModel::Make(
    std::shared_ptr<const DenseNetwork> network, DenseSpec spec,
    const std::vector<TableSpec>& tables, int64_t max_batch) {
  if (spec.bindings.size() != network->inputs().size()) {
    return absl::DataLossError(
        absl::StrCat("dense spec binds ", spec.bindings.size(),
                     " inputs; the graph has ", network->inputs().size()));
  }
  std::unique_ptr<DenseModel> m(new DenseModel());
  for (size_t i = 0; i < spec.bindings.size(); ++i) {
    const DenseBinding& b = spec.bindings[i];
    if (b.input != network->inputs()[i].name) {
      return absl::DataLossError(absl::StrCat(
          "dense spec binds input \"", b.input, "\" where the graph has \"",
          network->inputs()[i].name, "\""));
    }
    Input input;
    input.kind = b.kind;
    input.dim = spec.dense_features;
    for (const std::string& name : b.tables) {
      auto spec_it =
          std::find_if(tables.begin(), tables.end(),
                       [&](const TableSpec& t) { return t.name == name; });
      if (spec_it == tables.end()) {
        return absl::DataLossError(
            absl::StrCat("dense input \"", b.input, "\" reads table \"", name,
                         "\", which the model does not have"));
      }
      input.dim = spec_it->dim;
      auto it = std::find(m->tables_.begin(), m->tables_.end(), name);
      if (it == m->tables_.end()) {
        m->tables_.push_back(name);
        it = m->tables_.end() - 1;
      }
      input.tables.push_back(static_cast<size_t>(it - m->tables_.begin()));
    }
    m->inputs_.push_back(std::move(input));
  }
  m->max_batch_ = max_batch;
  m->network_ = std::move(network);
  m->spec_ = std::move(spec);
  return m;
}

}  // namespace strata
