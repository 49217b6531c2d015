#include "server/lookup_handler.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace strata {
namespace {

absl::Status BagError(const v1::TableKeys& t, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("table \"", t.table(), "\": ", what));
}

}  // namespace

absl::Status ValidateBags(const v1::TableKeys& t) {
  if (!v1::Pooling_IsValid(t.pooling())) {
    return BagError(t, absl::StrCat("unknown pooling ", t.pooling()));
  }
  if (t.offsets().empty()) {
    if (t.pooling() != v1::NONE) return BagError(t, "pooling needs offsets");
    return absl::OkStatus();
  }
  if (t.pooling() == v1::NONE) {
    return BagError(t, "offsets need pooling SUM or MEAN");
  }
  if (t.offsets(0) != 0) return BagError(t, "offsets must start at 0");
  for (int i = 1; i < t.offsets_size(); ++i) {
    if (t.offsets(i) < t.offsets(i - 1)) {
      return BagError(
          t, absl::StrCat("offsets must not decrease (offset ", i, " is ",
                          t.offsets(i), " after ", t.offsets(i - 1), ")"));
    }
  }
  if (t.offsets(t.offsets_size() - 1) != t.keys_size()) {
    return BagError(
        t, absl::StrCat("offsets must end at the key count ", t.keys_size(),
                        ", not ", t.offsets(t.offsets_size() - 1)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Model>> FindModel(
    const ModelRegistry& registry, const std::string& name, uint64_t version) {
  if (name.empty()) {
    return absl::InvalidArgumentError("request names no model");
  }
  std::shared_ptr<const Model> model = registry.Find(name, version);
  if (model == nullptr) {
    if (version != 0 && registry.Find(name) != nullptr) {
      return absl::NotFoundError(absl::StrCat("model \"", name, "\" version ",
                                              version, " is not loaded"));
    }
    return absl::NotFoundError(
        absl::StrCat("model \"", name, "\" is not loaded"));
  }
  return model;
}

absl::StatusOr<std::shared_ptr<const Model>> LookupHandler::Validate(
    const v1::LookupRequest& request) const {
  STRATA_ASSIGN_OR_RETURN(
      std::shared_ptr<const Model> model,
      FindModel(*registry_, request.model(), request.version()));
  if (request.tables_size() == 0) {
    return absl::InvalidArgumentError("request lists no tables");
  }
  if (!v1::ValueDtype_IsValid(request.value_dtype())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown value_dtype ", request.value_dtype(),
                     " (FLOAT32 = 0, FLOAT16 = 1, BFLOAT16 = 2)"));
  }
  absl::flat_hash_set<absl::string_view> seen;
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
    STRATA_RETURN_IF_ERROR(ValidateBags(t));
    keys += t.keys_size();
  }
  if (keys > max_keys_per_request_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request asks for ", keys,
        " keys; the limit (max_keys_per_request) is ", max_keys_per_request_));
  }
  return model;
}

}  // namespace strata
