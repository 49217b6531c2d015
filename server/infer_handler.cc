#include "server/infer_handler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "server/lookup_handler.h"

namespace strata {
namespace {

// The first NaN or Inf of the (B, F) dense features, by sample and feature.
absl::Status CheckFinite(const std::string& bytes, uint32_t features) {
  const size_t n = bytes.size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, bytes.data() + i * sizeof(float), sizeof(float));
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("dense[", i / features, "][", i % features, "] is ",
                       std::isnan(v) ? "NaN" : "infinite",
                       "; dense features must be finite"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ValidInfer> InferHandler::Validate(
    const v1::InferRequest& request) const {
  ValidInfer valid;
  STRATA_ASSIGN_OR_RETURN(
      valid.model, FindModel(*registry_, request.model(), request.version()));
  const DenseModel* dense = valid.model->dense();
  if (dense == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model \"", request.model(),
        "\" has no dense network (import it with --dense FILE.onnx)"));
  }
  const int64_t batch = request.batch();
  if (batch < 1 || batch > dense->max_batch()) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch must be 1 to ", dense->max_batch(),
                     " (max_infer_batch), got ", batch));
  }
  const uint64_t dense_bytes =
      uint64_t(batch) * dense->dense_features() * sizeof(float);
  if (request.dense().size() != dense_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dense holds ", request.dense().size(), " bytes; batch ", batch, " x ",
        dense->dense_features(), " float32 features is ", dense_bytes));
  }
  if (dense->dense_features() > 0) {
    STRATA_RETURN_IF_ERROR(
        CheckFinite(request.dense(), dense->dense_features()));
  }
  const std::vector<std::string>& bound = dense->tables();
  valid.table_entries.assign(bound.size(), -1);
  uint64_t keys = 0;
  for (int e = 0; e < request.tables_size(); ++e) {
    const v1::TableKeys& t = request.tables(e);
    auto it = std::find(bound.begin(), bound.end(), t.table());
    if (it == bound.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("table \"", t.table(), "\" is not an input of model \"",
                       request.model(), "\"'s dense network"));
    }
    int& entry = valid.table_entries[it - bound.begin()];
    if (entry >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("table \"", t.table(), "\" is listed twice"));
    }
    entry = e;
    STRATA_RETURN_IF_ERROR(ValidateBags(t));
    const int64_t samples =
        t.offsets().empty() ? t.keys_size() : t.offsets_size() - 1;
    if (samples != batch) {
      return absl::InvalidArgumentError(absl::StrCat(
          "table \"", t.table(), "\" has ", samples,
          t.offsets().empty() ? " keys" : " bags", "; batch is ", batch));
    }
    keys += t.keys_size();
  }
  for (size_t i = 0; i < bound.size(); ++i) {
    if (valid.table_entries[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("table \"", bound[i], "\" is missing: model \"",
                       request.model(), "\"'s dense network reads it"));
    }
  }
  if (keys > max_keys_per_request_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request asks for ", keys,
        " keys; the limit (max_keys_per_request) is ", max_keys_per_request_));
  }
  return valid;
}

}  // namespace strata
