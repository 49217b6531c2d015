#include "server/lookup_handler.h"

#include <bit>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace strata {

static_assert(std::endian::native == std::endian::little,
              "rows travel as little-endian float32");

absl::StatusOr<std::shared_ptr<const Model>> LookupHandler::Validate(
    const v1::LookupRequest& request) const {
  if (request.model().empty()) {
    return absl::InvalidArgumentError("request names no model");
  }
  std::shared_ptr<const Model> model =
      registry_->Find(request.model(), request.version());
  if (model == nullptr) {
    if (request.version() != 0 && registry_->Find(request.model()) != nullptr) {
      return absl::NotFoundError(absl::StrCat("model \"", request.model(),
                                              "\" version ", request.version(),
                                              " is not loaded"));
    }
    return absl::NotFoundError(
        absl::StrCat("model \"", request.model(), "\" is not loaded"));
  }
  if (request.tables_size() == 0) {
    return absl::InvalidArgumentError("request lists no tables");
  }
  absl::flat_hash_set<std::string> seen;
  uint64_t keys = 0;
  for (const v1::TableKeys& t : request.tables()) {
    if (!seen.insert(t.table()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("table \"", t.table(), "\" is listed twice"));
    }
    if (model->FindTable(t.table()) == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "model \"", request.model(), "\" has no table \"", t.table(), "\""));
    }
    keys += t.keys_size();
  }
  if (keys > max_keys_per_request_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request asks for ", keys, " keys; the limit (max_keys_per_request) is ",
        max_keys_per_request_));
  }
  return model;
}

absl::Status LookupHandler::Execute(const Model& model,
                                    const v1::LookupRequest& request,
                                    v1::LookupResponse* response) {
  response->set_model(model.name());
  response->set_version(model.version());
  std::vector<size_t> defaulted;
  uint64_t keys = 0;
  uint64_t defaults = 0;
  for (const v1::TableKeys& t : request.tables()) {
    const Model::Table* table = model.FindTable(t.table());
    const uint32_t dim = table->spec.dim;
    const size_t n = static_cast<size_t>(t.keys_size());
    v1::TableRows* rows = response->add_tables();
    rows->set_table(t.table());
    rows->set_dim(dim);
    std::string* bytes = rows->mutable_values();
    bytes->resize(n * dim * sizeof(float));
    absl::Span<float> values(reinterpret_cast<float*>(bytes->data()), n * dim);
    defaulted.clear();
    STRATA_RETURN_IF_ERROR(table->chain->Lookup(
        absl::MakeConstSpan(t.keys().data(), n), values, &defaulted));
    rows->mutable_is_default()->Resize(static_cast<int>(n), false);
    for (size_t pos : defaulted) rows->set_is_default(static_cast<int>(pos), true);
    keys += n;
    defaults += defaulted.size();
  }
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  counters_.keys.fetch_add(keys, std::memory_order_relaxed);
  counters_.default_rows.fetch_add(defaults, std::memory_order_relaxed);
  return absl::OkStatus();
}

}  // namespace strata
