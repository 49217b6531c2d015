// Fuzzes the HugeCTR "HCTR" update-message decoder (DecodeHctr) and topic
// parsing (ParseTopic). The input is the message bytes, decoded as if it
// came from topic "hps_et.m.t"; it is also parsed as a topic name.
//
// Properties: a message that decodes has a dim in 1..kMaxUpdateDim, keys x
// dim values, and re-encodes (EncodeHctr) to exactly the input bytes; a
// topic that parses re-forms (HpsTopic / StrataTopic) to the same name.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/update/update_codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<strata::DecodedUpdate> update =
      strata::DecodeHctr(bytes, "m", "t");
  if (update.ok()) {
    STRATA_FUZZ_CHECK(update->dim >= 1 && update->dim <= strata::kMaxUpdateDim);
    STRATA_FUZZ_CHECK(update->model == "m" && update->table == "t");
    STRATA_FUZZ_CHECK(update->values.size() ==
                      update->keys.size() * update->dim);
    STRATA_FUZZ_CHECK(
        strata::EncodeHctr(update->dim, update->keys, update->values) == bytes);
  } else {
    STRATA_FUZZ_CHECK(update.status().code() ==
                      absl::StatusCode::kInvalidArgument);
  }

  std::optional<strata::TopicInfo> topic = strata::ParseTopic("strata.", bytes);
  if (topic.has_value()) {
    STRATA_FUZZ_CHECK(!topic->model.empty());
    if (topic->hps) {
      STRATA_FUZZ_CHECK(!topic->table.empty());
      STRATA_FUZZ_CHECK(strata::HpsTopic(topic->model, topic->table) == bytes);
    } else {
      STRATA_FUZZ_CHECK(topic->table.empty());
      STRATA_FUZZ_CHECK(strata::StrataTopic("strata.", topic->model) == bytes);
    }
  }
  return 0;
}
