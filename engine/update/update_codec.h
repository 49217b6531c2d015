// Update codecs: the two wire formats of an embedding update, decoded into
// one plain value (DecodedUpdate) with strict validation.
//
// - Strata's own protobuf strata.v1.UpdateBatch (proto/strata/v1/update.proto)
//   on topics named "<prefix><model>" (default prefix "strata.").
// - HugeCTR HPS's "HCTR" messages on topics "hps_et.<model>.<table>": 4-byte
//   magic "HCTR", uint32 little-endian value size in bytes (dim * 4), then
//   repeated (int64 little-endian key, value bytes). Model and table come from
//   the topic name.
//
// Decoding never trusts the input: a bad magic, a truncated record, a dim of
// 0, values that do not fill whole rows, or invalid names are
// INVALID_ARGUMENT with a message that says which. Decoding does not check
// that the model or table exist; the Applier does.
//
// Plain functions and value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace strata {
namespace v1 {
class UpdateBatch;
}

// The largest dim either decoder accepts (a row of 64 KiB).
inline constexpr uint32_t kMaxUpdateDim = 16384;

struct DecodedUpdate {
  std::string model;
  std::string table;
  uint32_t dim = 0;
  std::vector<int64_t> keys;         // (n)
  std::vector<float> values;         // (n, dim)
  std::vector<int64_t> delete_keys;  // (m) rows removed after keys are written
};

// Topic naming.
std::string StrataTopic(const std::string& prefix, const std::string& model);
std::string HpsTopic(const std::string& model, const std::string& table);

// What a topic name says: the model it belongs to, and for HPS topics the
// table. nullopt when the name is neither "<prefix><model>" nor
// "hps_et.<model>.<table>".
struct TopicInfo {
  std::string model;
  std::string table;  // empty for Strata topics
  bool hps = false;
  uint64_t version = 0;  // the serving version it is read for (0: unknown)
};
std::optional<TopicInfo> ParseTopic(const std::string& prefix,
                                    const std::string& topic);

// Protobuf UpdateBatch.
[[nodiscard]] absl::StatusOr<DecodedUpdate> DecodeUpdateBatch(
    absl::string_view bytes);
[[nodiscard]] absl::StatusOr<DecodedUpdate> FromUpdateBatch(
    const v1::UpdateBatch& batch);
std::string EncodeUpdateBatch(const std::string& model,
                              const std::string& table, uint32_t dim,
                              absl::Span<const int64_t> keys,   // (n)
                              absl::Span<const float> values);  // (n, dim)

// HugeCTR "HCTR" message; `model` and `table` come from the topic.
[[nodiscard]] absl::StatusOr<DecodedUpdate> DecodeHctr(
    absl::string_view bytes, const std::string& model,
    const std::string& table);
std::string EncodeHctr(uint32_t dim, absl::Span<const int64_t> keys,  // (n)
                       absl::Span<const float> values);  // (n, dim)

}  // namespace strata
