// Fuzzes the strata.v1.UpdateBatch decoder: DecodeUpdateBatch (protobuf
// parse, then FromUpdateBatch's validation). The input is the serialized
// message.
//
// Properties: a batch that decodes has valid model and table names, a dim in
// 1..kMaxUpdateDim and keys x dim values, and survives EncodeUpdateBatch
// then DecodeUpdateBatch unchanged (bit for bit, NaNs included); a batch
// that does not decode is INVALID_ARGUMENT.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/model_manifest.h"
#include "engine/update/update_codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<strata::DecodedUpdate> update =
      strata::DecodeUpdateBatch(bytes);
  if (!update.ok()) {
    STRATA_FUZZ_CHECK(update.status().code() ==
                      absl::StatusCode::kInvalidArgument);
    return 0;
  }
  STRATA_FUZZ_CHECK(strata::ValidateName("model", update->model).ok());
  STRATA_FUZZ_CHECK(strata::ValidateName("table", update->table).ok());
  STRATA_FUZZ_CHECK(update->dim >= 1 && update->dim <= strata::kMaxUpdateDim);
  STRATA_FUZZ_CHECK(update->values.size() == update->keys.size() * update->dim);

  absl::StatusOr<strata::DecodedUpdate> again = strata::DecodeUpdateBatch(
      strata::EncodeUpdateBatch(update->model, update->table, update->dim,
                                update->keys, update->values));
  STRATA_FUZZ_CHECK(again.ok());
  STRATA_FUZZ_CHECK(again->model == update->model &&
                    again->table == update->table &&
                    again->dim == update->dim && again->keys == update->keys);
  STRATA_FUZZ_CHECK(again->values.size() == update->values.size());
  STRATA_FUZZ_CHECK(update->values.empty() ||
                    std::memcmp(again->values.data(), update->values.data(),
                                update->values.size() * sizeof(float)) == 0);
  return 0;
}
